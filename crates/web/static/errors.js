// A form that came back with errors: the focus moves to their summary, so that a keyboard or
// screen-reader user starts from the list of what to fix (each item links to its field).
(function () {
  'use strict';
  var summary = document.querySelector('.error-summary[tabindex="-1"]');
  if (summary) summary.focus();
})();
