// The survey page: a question whose condition rests on an answer of the same page is hidden while the condition
// does not hold (surveys/questionnaire.py decides the same on the server; without JavaScript it stays visible and
// optional). Conditions come from each fieldset's data-condition: {"question": code, "op": ..., "value": ...}.
(function () {
  "use strict";

  function answersOf(form, code) {
    const values = [];
    form.querySelectorAll('[name="q_' + code + '"]').forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) return;
      if (input.value !== "") values.push(input.value);
    });
    return values;
  }

  function holds(condition, values) {
    if (!values.length) return false;
    const wanted = Array.isArray(condition.value) ? condition.value.map(String) : [String(condition.value)];
    switch (condition.op) {
      case "equals":
      case "in":
        return values.some(function (v) { return wanted.indexOf(v) !== -1; });
      case "at_most":
        return Number(values[0]) <= Number(condition.value);
      case "at_least":
        return Number(values[0]) >= Number(condition.value);
      default:
        return false;
    }
  }

  function refresh(form) {
    form.querySelectorAll("fieldset[data-condition]").forEach(function (fieldset) {
      const condition = JSON.parse(fieldset.dataset.condition);
      const source = form.querySelector('fieldset[data-code="' + condition.question + '"]');
      if (!source) return; // rests on an earlier page: the server already decided
      fieldset.hidden = !holds(condition, answersOf(form, condition.question));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.survey-form").forEach(function (form) {
      refresh(form);
      form.addEventListener("change", function () { refresh(form); });
    });
  });
})();
