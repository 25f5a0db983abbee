// A confirmation the server sends through htmx (a <dialog data-opens-modal>) opens as a modal dialog, which keeps the
// focus inside it until it is answered. Without JavaScript the same form posts normally and the server answers with
// a confirmation page instead.
(function () {
  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = event.detail.target.querySelector("dialog[data-opens-modal]");
    if (dialog && !dialog.open) dialog.showModal();
  });
  // A dialog that was answered "keep" leaves the page as it was: remove it so the next try starts afresh.
  document.addEventListener("close", function (event) {
    if (event.target.matches && event.target.matches("dialog[data-opens-modal]")) event.target.remove();
  }, true);
})();
