// On narrow screens the site menu folds behind a "Menu" button. Without JavaScript it simply stays open.
(function () {
  var toggle = document.querySelector(".nav-toggle");
  if (!toggle) return;
  var bar = toggle.closest(".bar");
  bar.classList.add("collapsible");
  toggle.hidden = false;
  toggle.addEventListener("click", function () {
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    bar.classList.toggle("open", open);
    if (open) {
      var first = bar.querySelector("nav.main a");
      if (first) first.focus();
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && bar.classList.contains("open")) {
      toggle.click();
      toggle.focus();
    }
  });
})();
