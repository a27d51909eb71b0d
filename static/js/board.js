// The pipeline board: drag cards between columns (SortableJS) or onto the Won and Lost drop
// zones that appear at the bottom while dragging, or pick a stage in a card's "⋯" menu.
// Either way the move is an htmx POST to the card's data-move-url; the response puts the card
// at the top of its new column and refreshes both columns' headers and the pipeline total
// (hx-swap-oob). Moving to a lost stage first asks for the reason in #lost-dialog.
(function () {
  "use strict";

  const dialogElement = document.getElementById("lost-dialog");
  const dialog = dialogElement ? bootstrap.Modal.getOrCreateInstance(dialogElement) : null;
  let pendingLost = null; // {card, stageId, cancel}

  function move(card, stageId, reason, revert) {
    const values = { stage: stageId };
    if (reason) values.lost_reason = reason;
    card.addEventListener("htmx:afterRequest", function (event) {
      if (!event.detail.successful && revert) revert();
    }, { once: true });
    htmx.ajax("POST", card.dataset.moveUrl, { source: card, target: card, swap: "delete", values: values });
  }

  function askForLostReason(card, stageId, cancel) {
    if (!dialog) { cancel(); return; }
    pendingLost = { card: card, stageId: stageId, cancel: cancel };
    const title = card.querySelector("[id^=deal-title-]");
    document.getElementById("lost-dialog-deal").textContent = title ? title.textContent : "";
    document.getElementById("lost-reason").value = "";
    dialog.show();
  }

  if (dialogElement) {
    dialogElement.addEventListener("shown.bs.modal", function () {
      document.getElementById("lost-reason").focus();
    });
    dialogElement.addEventListener("hidden.bs.modal", function () {
      // Closed without giving a reason: put things back.
      if (pendingLost) { pendingLost.cancel(); pendingLost = null; }
    });
    document.getElementById("lost-form").addEventListener("submit", function (event) {
      event.preventDefault();
      const reason = document.getElementById("lost-reason").value.trim();
      if (!reason || !pendingLost) return;
      const target = pendingLost;
      pendingLost = null;
      dialog.hide();
      move(target.card, target.stageId, reason, target.cancel);
    });
  }

  // --- drag and drop ------------------------------------------------------------------
  function makeSortable(list) {
    if (list.dataset.sortableReady) return;
    list.dataset.sortableReady = "1";
    Sortable.create(list, {
      group: "board",
      draggable: ".deal-card.is-draggable",
      filter: "a, select, button, input, label",
      preventOnFilter: false,
      animation: 150,
      forceFallback: true,
      fallbackTolerance: 3,
      onStart: function () { document.body.classList.add("board-dragging"); },
      onEnd: function (event) {
        document.body.classList.remove("board-dragging");
        if (event.from === event.to) return;
        const card = event.item;
        const from = event.from;
        const index = event.oldIndex;
        const revert = function () { from.insertBefore(card, from.children[index] || null); };
        const stageId = event.to.dataset.stageId;
        if (event.to.hasAttribute("data-stage-lost")) {
          askForLostReason(card, stageId, revert);
        } else {
          move(card, stageId, "", revert);
        }
      },
    });
  }

  document.querySelectorAll("[data-board] .board-cards, #board-dropzones .board-cards").forEach(makeSortable);

  // --- the keyboard's way: each card's "⋯" menu of stages ------------------------------
  // A lost stage asks for the reason instead of posting (the menu is a form of submit buttons).
  document.addEventListener("htmx:confirm", function (event) {
    const form = event.target;
    if (!form.matches || !form.matches("form.board-move")) return;
    const submitter = event.detail.triggeringEvent && event.detail.triggeringEvent.submitter;
    if (!submitter || !submitter.hasAttribute("data-lost")) return;
    event.preventDefault();
    askForLostReason(form.closest(".deal-card"), submitter.value, function () {});
  });
})();
