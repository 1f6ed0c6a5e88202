// Renders every math span of the page with KaTeX (offline copy in assets/katex/).
// A TeX error does not stop the page: KaTeX shows it in a .katex-error element, which the
// browser test (checks/unit/test_docs_browser.c) looks for.
document.addEventListener('DOMContentLoaded', function () {
  if (typeof katex === 'undefined') {
    console.error('KaTeX did not load');
    return;
  }
  document.querySelectorAll('.math').forEach(function (el) {
    katex.render(el.textContent, el, {
      displayMode: el.classList.contains('display'),
      throwOnError: false,
    });
  });
});
