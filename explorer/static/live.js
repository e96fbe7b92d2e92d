// Live home page: every two seconds, read the home view from the JSON API and refresh each
// domain's head, finality, rate and latest blocks. Text only (textContent), never HTML.
(function () {
  function row(b) {
    var tr = document.createElement('tr');
    var a = document.createElement('a');
    a.href = '/block/' + b.domain + '/' + b.number;
    a.textContent = String(b.number);
    var cells = [a, b.age, String(b.tx_count), String(b.gas_used)];
    cells.forEach(function (c) {
      var td = document.createElement('td');
      if (typeof c === 'string') td.textContent = c; else td.appendChild(c);
      tr.appendChild(td);
    });
    return tr;
  }
  function refresh() {
    fetch('/api/v1/home').then(function (r) { return r.json(); }).then(function (home) {
      home.domains.forEach(function (d) {
        var el = document.querySelector('.domain[data-domain="' + d.domain + '"]');
        if (!el) return;
        var head = el.querySelector('.head');
        head.textContent = String(d.head);
        head.href = '/block/' + d.domain + '/' + d.head;
        el.querySelector('.finalized').textContent = d.finalized === null ? '—' : String(d.finalized);
        el.querySelector('.tps').textContent = d.tps;
        var table = el.querySelector('table.blocks');
        while (table.rows.length > 1) table.deleteRow(1);
        d.blocks.forEach(function (b) { table.appendChild(row(b)); });
      });
    }).catch(function () {});
  }
  setInterval(refresh, 2000);
})();
