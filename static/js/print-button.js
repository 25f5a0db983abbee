// A "Print" button (data-print) prints the page; the print style sheet leaves out the menus.
(function () {
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
})();
