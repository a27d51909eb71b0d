"""Every registered timeline action reads as a sentence in English and in Turkish.

Here, in the composition root, because the registry spans the apps
(settings.CRM_TIMELINE_SENTENCES): an action someone registers without an
example below fails `test_every_registered_action_has_an_example_here`.
"""

import pytest
from django.utils import translation

from customers.timeline import sentence, timeline_sentences

OWNER = {"from": 1, "from_name": "Ann Lee", "to": 2, "to_name": "Bob Stone"}
STAGE = {"deal": 1, "title": "Roof", "from": 1, "from_name": "Proposal", "to": 2, "to_name": "Negotiation"}
# action -> [(data, English, Turkish)], one row per wording.
EXAMPLES: dict[str, list[tuple[dict, str, str]]] = {
    "customer.created": [
        ({}, "Customer created", "Müşteri oluşturuldu"),
        ({"file": "orders.csv"}, "Created by importing orders.csv", "orders.csv içe aktarılarak oluşturuldu"),
    ],
    "customer.created_by_import": [
        (
            {"file": "contacts.csv", "created": 2},
            "Created by importing contacts.csv",
            "contacts.csv içe aktarılarak oluşturuldu",
        )
    ],
    "customer.updated": [({"fields": ["email", "last_name"]}, "Changed email, last name", "e-posta, soyad değişti")],
    "customer.reassigned": [
        (OWNER, "Owner changed from Ann Lee to Bob Stone", "Sahip Ann Lee yerine Bob Stone olarak değişti"),
        ({"to": 2, "to_name": "Bob Stone"}, "Owner changed to Bob Stone", "Sahip Bob Stone olarak değişti"),
    ],
    "customer.deleted": [({}, "Customer deleted", "Müşteri silindi")],
    "customer.restored": [({}, "Customer restored", "Müşteri geri yüklendi")],
    "customer.tagged": [({"tag": 3, "tag_name": "VIP"}, "Tagged VIP", "VIP etiketi eklendi")],
    "customer.imported": [
        ({"created": True, "fields": []}, "Imported (new customer)", "İçe aktarıldı (yeni müşteri)"),
        ({"created": False, "fields": ["email"]}, "Imported: changed email", "İçe aktarıldı: e-posta değişti"),
        ({"created": False, "fields": []}, "Imported: no changes", "İçe aktarıldı: değişiklik yok"),
    ],
    "customer.merged": [
        ({"merged": 9, "merged_name": "Anne Lee"}, "Merged with Anne Lee (#9)", "Anne Lee (#9) ile birleştirildi")
    ],
    "customer.merged_away": [
        (
            {"merged_into": 4, "merged_into_name": "Ann Lee"},
            "Merged into Ann Lee (#4)",
            "Ann Lee (#4) kaydıyla birleştirildi",
        )
    ],
    "consent.changed": [
        ({"status": "opted_in", "source": "form"}, "Email consent: Opted in (Form)", "E-posta izni: İzin verdi (Form)")
    ],
    "attachment.added": [({"file": "contract.pdf"}, "Attached contract.pdf", "contract.pdf eklendi")],
    "company.created": [
        ({}, "Company created", "Şirket oluşturuldu"),
        ({"source": "import"}, "Company created (import)", "Şirket oluşturuldu (içe aktarma)"),
    ],
    "company.updated": [({"fields": ["phone"]}, "Changed phone", "telefon değişti")],
    "company.deleted": [({}, "Company deleted", "Şirket silindi")],
    "deal.created": [({"deal": 1, "title": "Roof"}, "Deal “Roof” opened", "“Roof” fırsatı açıldı")],
    "deal.updated": [
        ({"title": "Roof", "fields": ["amount"]}, "Deal “Roof”: changed amount", "“Roof” fırsatı: tutar değişti")
    ],
    "deal.stage_changed": [(STAGE, "Deal “Roof”: Proposal → Negotiation", "“Roof” fırsatı: Teklif → Müzakere")],
    "deal.won": [
        ({**STAGE, "to_name": "Won"}, "Deal “Roof”: Proposal → Won", "“Roof” fırsatı: Teklif → Kazanıldı"),
    ],
    "deal.lost": [
        (
            {**STAGE, "to_name": "Our own stage"},
            "Deal “Roof”: Proposal → Our own stage",
            "“Roof” fırsatı: Teklif → Our own stage",
        ),
    ],
    "deal.product_added": [
        ({"title": "Roof", "line": "2 × Tile"}, "Deal “Roof”: added 2 × Tile", "“Roof” fırsatı: 2 × Tile eklendi")
    ],
    "deal.product_removed": [
        ({"title": "Roof", "line": "2 × Tile"}, "Deal “Roof”: removed 2 × Tile", "“Roof” fırsatı: 2 × Tile kaldırıldı")
    ],
    "order.created": [
        (
            {"ref": "DEAL-1", "title": "Roof", "total": "250.50", "currency": "EUR"},
            "Order DEAL-1 created from the won deal “Roof”: 250.50 EUR",
            "DEAL-1 siparişi, kazanılan “Roof” fırsatından oluşturuldu: 250,50 EUR",
        ),
        (
            {"ref": "SHOP-1", "total": "250.50", "currency": "EUR"},
            "Order SHOP-1 recorded: 250.50 EUR",
            "SHOP-1 siparişi kaydedildi: 250,50 EUR",
        ),
    ],
    "order.updated": [
        (
            {"ref": "SHOP-1", "fields": ["status", "ordered_at"], "total": "99.00", "currency": "EUR"},
            "Order SHOP-1: changed status, ordered at (99.00 EUR)",
            "SHOP-1 siparişi: durum, sipariş zamanı değiştirildi (99,00 EUR)",
        )
    ],
    "lead.created": [({}, "Lead created", "Aday oluşturuldu")],
    "lead.updated": [({"fields": ["email"]}, "Changed email", "e-posta değişti")],
    "lead.status_changed": [
        (
            {"from": "new", "to": "contacted", "reason": ""},
            "Status: New → Contacted",
            "Durum: Yeni → İletişime geçildi",
        ),
        (
            {"from": "contacted", "to": "unqualified", "reason": "No budget"},
            "Status: Contacted → Unqualified (No budget)",
            "Durum: İletişime geçildi → Niteliksiz (No budget)",
        ),
    ],
    "lead.assigned": [
        (
            {"to": 2, "to_name": "Bob Stone", "rule": 1, "rule_name": "web"},
            "Assigned to Bob Stone by the rule “web”",
            "“web” kuralıyla Bob Stone kullanıcısına atandı",
        ),
        (
            {"to": 2, "to_name": "Bob Stone", "rule": None, "rule_name": None},
            "Assigned to Bob Stone (no rule matched)",
            "Bob Stone kullanıcısına atandı (eşleşen kural yok)",
        ),
    ],
    "lead.reassigned": [
        (OWNER, "Owner changed from Ann Lee to Bob Stone", "Sahip Ann Lee yerine Bob Stone olarak değişti"),
        (
            {"from": None, "to": 2, "to_name": "Bob Stone"},
            "Owner changed to Bob Stone",
            "Sahip Bob Stone olarak değişti",
        ),
    ],
    "lead.converted": [
        ({"lead": 1, "lead_name": "Ann Lee"}, "Converted from lead Ann Lee", "Ann Lee adayından dönüştürüldü"),
        ({"lead": 1, "customer_name": "Ann Lee"}, "Converted to Ann Lee", "Dönüştürüldü: Ann Lee"),
    ],
    "task.created": [({"task": 1, "title": "Call back"}, "Task “Call back” created", "“Call back” görevi oluşturuldu")],
    "task.updated": [
        (
            {"task": 1, "title": "Call back", "fields": ["due_at"]},
            "Task “Call back”: changed due",
            "“Call back” görevi: son tarih değişti",
        )
    ],
    "task.completed": [({"task": 1, "title": "Call back"}, "Task “Call back” done", "“Call back” görevi tamamlandı")],
    "task.reopened": [
        ({"task": 1, "title": "Call back"}, "Task “Call back” reopened", "“Call back” görevi yeniden açıldı")
    ],
    "ticket.opened": [
        ({"ticket": 7, "subject": "Printer"}, "Ticket #7 opened: Printer", "#7 numaralı talep açıldı: Printer")
    ],
    "ticket.solved": [
        ({"ticket": 7, "subject": "Printer"}, "Ticket #7 solved: Printer", "#7 numaralı talep çözüldü: Printer")
    ],
}
CASES = [(action, *row) for action, rows in EXAMPLES.items() for row in rows]


def test_every_registered_action_has_an_example_here():
    assert set(timeline_sentences()) == set(EXAMPLES)


@pytest.mark.parametrize(("action", "data", "english", "turkish"), CASES)
def test_each_registered_action_reads_in_english_and_in_turkish(action, data, english, turkish):
    with translation.override("en"):
        assert sentence(action=action, data=data, summary="fallback") == english
    with translation.override("tr"):
        assert sentence(action=action, data=data, summary="fallback") == turkish


def test_every_wording_has_a_turkish_translation():
    with translation.override(None):
        msgids = [str(wording.text) for wordings in timeline_sentences().values() for wording in wordings]
    with translation.override("tr"):
        untranslated = [msgid for msgid in msgids if translation.gettext(msgid) == msgid]
    assert msgids and untranslated == []
