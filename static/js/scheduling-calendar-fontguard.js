// Loaded just before the vendored FullCalendar bundle. The bundle inserts its icon font as a data: URI, which our
// Content Security Policy (font-src 'self') refuses, and the browser reports every refusal. The calendar uses text
// buttons, so that one @font-face rule is swapped for one naming no file (the bundle counts on every insert
// succeeding, so it is replaced rather than dropped); every other rule passes through untouched.
(function () {
  "use strict";
  var insertRule = CSSStyleSheet.prototype.insertRule;
  CSSStyleSheet.prototype.insertRule = function (rule, index) {
    if (typeof rule === "string" && rule.indexOf("@font-face") === 0 && rule.indexOf("fcicons") !== -1) {
      return insertRule.call(this, '@font-face{font-family:fcicons;src:local("fcicons")}', index);
    }
    return insertRule.apply(this, arguments);
  };
})();
