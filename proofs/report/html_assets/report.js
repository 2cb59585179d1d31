// diffproof html: render every element's data-tex with KaTeX (inline for class "inline"). Nothing else runs on the page; a
// formula KaTeX cannot read is shown as a .katex-error element, never thrown.
"use strict";
document.querySelectorAll("[data-tex]").forEach(function (element) {
  try {
    katex.render(element.getAttribute("data-tex"), element,
                 {throwOnError: false, displayMode: !element.classList.contains("inline")});
  } catch (error) {
    element.classList.add("katex-error");
    element.title = String(error);
  }
});
