// A form's submission key (input[data-kept-on-back], a hidden text field) comes back with the values typed into the
// form when the browser goes Back to its page, loaded anew (staff pages are no-store) with a new key. The browser
// puts back a text field's value only when it differs from the one the page was sent with: the key, moved here from
// the page's markup into the field, is put back, and the form sent again after Back is the same submission.
(function () {
  document.querySelectorAll("input[data-kept-on-back]").forEach(function (input) {
    var key = input.value; // the page's own, or the one the browser put back
    input.removeAttribute("value");
    input.value = key;
  });
})();
