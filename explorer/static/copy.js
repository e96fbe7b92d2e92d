// Copy buttons beside hashes and addresses: a click puts the button's data-copy value on the
// clipboard and says so for a moment. Loaded from this origin (the CSP allows no inline script).
(function () {
  function done(button, ok) {
    var label = button.textContent;
    button.textContent = ok ? 'Copied' : 'Copy failed';
    button.setAttribute('data-copied', ok ? 'yes' : 'no');
    setTimeout(function () {
      button.textContent = label;
      button.removeAttribute('data-copied');
    }, 1500);
  }
  // Without the asynchronous clipboard (a page not served over HTTPS or from localhost):
  // select the text in a hidden field and copy the selection.
  function fallback(text) {
    var field = document.createElement('textarea');
    field.value = text;
    field.setAttribute('readonly', '');
    field.style.position = 'fixed';
    field.style.opacity = '0';
    document.body.appendChild(field);
    field.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    document.body.removeChild(field);
    return ok;
  }
  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('button.copy[data-copy]') : null;
    if (!button) return;
    var text = button.getAttribute('data-copy');
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(button, true); },
        function () { done(button, fallback(text)); });
    } else {
      done(button, fallback(text));
    }
  });
})();
