"""The agents' knowledge-base article form."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from crm_project.versioning import VersionedFormMixin

from ..models import KbArticle


class KbArticleForm(VersionedFormMixin, forms.ModelForm):
    new_category = forms.CharField(
        label=_("Or a new category"), max_length=100, required=False, help_text=_("Creates it if it does not exist.")
    )

    class Meta:
        model = KbArticle
        fields = ["title", "slug", "category", "status", "visibility", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 14})}
        help_texts = {
            "slug": _("The article's address under /help/articles/; empty: made from the title."),
            "body": _(
                "HTML: paragraphs, headings (h2–h4), lists, links, bold, italics, code, quotes and images. "
                "Anything else, scripts included, is removed."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.order_fields(["title", "slug", "category", "new_category", "status", "visibility", "body"])
        self.fields["slug"].required = False
        self.fields["category"].required = False

    def clean(self):
        cleaned = super().clean() or {}
        if not cleaned.get("category") and not cleaned.get("new_category", "").strip():
            self.add_error("category", _("Choose a category or name a new one."))
        return cleaned

    def service_fields(self) -> dict:
        """The article's fields for kb_article_create/update (the category resolved by the view)."""
        data = self.cleaned_data
        return {name: data[name] for name in ("title", "slug", "status", "visibility", "body")}
