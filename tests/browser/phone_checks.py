"""What a phone page is checked for, measured in the page by the browser (the page itself runs no
JavaScript: WebDriver's execute_script only reads the layout Chromium made).

- overflow: the page is wider than the 360 px screen (the elements that stick out are named), or
  a box in it scrolls sideways (a table cut at the screen's edge); a box marked .wide (the
  gradebook: a column per assignment) may scroll;
- small targets: a control, a checkbox or radio row, or a link that stands on its own (not a link
  inside a sentence, WCAG 2.5.5's inline exception) smaller than 44 x 44 px;
- Latin words in the Russian interface, outside names and codes: text in <code>, <kbd>, <samp>,
  or marked translate="no", addresses (URLs, e-mail), file names and logins are codes; a short
  list of proper names of formats and standards (CSV, PDF, Wi-Fi, USB, ...) is allowed.

It also lists the page's links and forms (with their fields) for the crawler.
"""

MIN_TARGET = 44  # px, WCAG 2.5.5

# Proper names a Russian interface writes in Latin letters: file formats, standards, the product.
LATIN_ALLOWED = ["CSV", "PDF", "XLSX", "Excel", "Wi", "Fi", "USB", "QR", "JPEG", "JPG", "PNG",
                 "CUPS", "IPP", "Everywhere", "Markdown", "UTF", "Windows", "English", "Parta",
                 "PIN", "ZIM", "Kiwix", "GIFT", "gift", "Moodle", "TRUE", "FALSE", "HEIC",
                 "iPhone"]

MEASURE_JS = r"""
const MIN = arguments[0], ALLOWED = new Set(arguments[1]);
const doc = document.documentElement, vw = doc.clientWidth;
function shown(el) {
  if (!el || !el.getClientRects().length) return false;
  const cs = getComputedStyle(el);
  return cs.visibility !== 'hidden' && cs.display !== 'none';
}
function describe(el) {
  let s = el.tagName.toLowerCase();
  if (el.id) s += '#' + el.id;
  if (el.className && typeof el.className === 'string') s += '.' + el.className.trim().split(/\s+/).join('.');
  if (el.name) s += '[name=' + el.name + ']';
  const t = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\s+/g, ' ');
  if (t) s += ' «' + t.slice(0, 40) + '»';
  return s;
}
// Overflow: elements sticking out right of the screen, not inside a box that scrolls sideways.
const overflow = {scroll: doc.scrollWidth, client: vw, culprits: []};
if (doc.scrollWidth > vw + 1) {
  const all = document.body.querySelectorAll('*');
  for (const el of all) {
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.right <= vw + 1) continue;
    let scrolled = false;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const ox = getComputedStyle(p).overflowX;
      if ((ox === 'auto' || ox === 'scroll' || ox === 'hidden') &&
          p.getBoundingClientRect().right <= vw + 1) { scrolled = true; break; }
    }
    if (scrolled) continue;
    // the deepest ones: skip an element when one of its children sticks out as well
    let child = false;
    for (const c of el.children) if (shown(c) && c.getBoundingClientRect().right > vw + 1) { child = true; break; }
    if (!child) overflow.culprits.push(describe(el) + ' right=' + Math.round(r.right));
    if (overflow.culprits.length >= 6) break;
  }
}
// Boxes that scroll sideways: what is beyond their edge is cut off on a phone.
overflow.boxes = [];
for (const el of document.body.querySelectorAll('*')) {
  const ox = getComputedStyle(el).overflowX;
  if ((ox === 'auto' || ox === 'scroll') && el.tagName !== 'PRE' && !el.closest('.wide') &&
      shown(el) && el.scrollWidth > el.clientWidth + 1)
    overflow.boxes.push(describe(el).slice(0, 60) + ' ' + el.scrollWidth + ' px in ' + el.clientWidth);
}
// Tap targets.
function blockOf(el) {
  for (let p = el.parentElement; p; p = p.parentElement) {
    const d = getComputedStyle(p).display;
    if (!d.startsWith('inline')) return p;
  }
  return document.body;
}
function inText(a) {
  // A link in a sentence: its block has words of its own besides the links and buttons in it.
  const b = blockOf(a);
  const clone = b.cloneNode(true);
  for (const x of clone.querySelectorAll('a, button, select, input, textarea, label.check')) x.remove();
  return /\p{L}{2,}/u.test(clone.textContent);
}
const small = [];
for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
  if (!shown(el)) continue;
  let box = el;
  if (el.type === 'checkbox' || el.type === 'radio') {
    box = el.closest('label') || (el.id && document.querySelector('label[for="' + el.id + '"]'));
    if (!box) { small.push(describe(el) + ' has no label to tap'); continue; }
  }
  if (el.tagName === 'A' && inText(el)) continue;
  const r = box.getBoundingClientRect();
  if (r.height < MIN - 0.5 || r.width < MIN - 0.5)
    small.push(describe(box) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
}
// Latin words outside names and codes.
const latin = [];
const CODE = 'code, kbd, samp, script, style, [translate=no]';
const chunkOk = c => /^(https?:\/\/|www\.)/i.test(c) || /\S@\S/.test(c) ||
    /^[\w.-]+\.[a-z0-9]{1,5}$/i.test(c) && /[а-яё\d_-]|\.[a-z]{2,4}$/i.test(c) && !/^[A-Za-z]+\.$/.test(c) ||
    /^[a-z][a-z0-9]*[._][a-z0-9._-]+$/.test(c) || /^[\w-]+(\.[\w-]+)+(:\d+)?(\/\S*)?$/.test(c) && c.includes('.') && /[a-z]{2,}\.[a-z]{2,}/i.test(c);
function latinIn(text, where) {
  for (const chunk of text.split(/[\s«»"“”()\[\],;:!?]+/)) {
    if (!chunk || chunkOk(chunk.replace(/[.,]$/, ''))) continue;
    for (const m of chunk.matchAll(/[A-Za-z]{2,}/g)) {
      if (ALLOWED.has(m[0])) continue;
      latin.push(where + ': «' + chunk.slice(0, 40) + '»');
      break;
    }
  }
}
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const p = n.parentElement;
  if (!p || p.closest(CODE)) continue;
  const holder = p.tagName === 'OPTION' ? p.closest('select') : p;
  if (!shown(holder)) continue;
  latinIn(n.textContent, describe(p).split(' ')[0]);
}
for (const el of document.querySelectorAll('[placeholder], [title], [alt], [aria-label], input[type=submit], input[type=button]')) {
  if (el.closest(CODE) || !shown(el)) continue;
  for (const a of ['placeholder', 'title', 'alt', 'aria-label'])
    if (el.getAttribute(a)) latinIn(el.getAttribute(a), describe(el).split(' ')[0] + '@' + a);
  if (el.tagName === 'INPUT' && (el.type === 'submit' || el.type === 'button')) latinIn(el.value, 'input');
}
// Links and forms, for the crawler.
const links = [];
for (const a of document.querySelectorAll('a[href]')) links.push(a.href);
const forms = [];
document.querySelectorAll('form').forEach((f, i) => {
  const fields = [];
  for (const el of f.elements) {
    if (!el.name && el.tagName !== 'BUTTON') continue;
    const fd = {name: el.name, tag: el.tagName.toLowerCase(), type: (el.type || '').toLowerCase(),
                required: !!el.required, value: el.value, checked: !!el.checked,
                shown: shown(el.type === 'checkbox' || el.type === 'radio' ? (el.closest('label') || el) : el),
                text: (el.innerText || '').trim().slice(0, 60)};
    if (el.tagName === 'SELECT') fd.options = Array.from(el.options).map(o => o.value);
    fields.push(fd);
  }
  forms.push({index: i, action: f.action, method: (f.getAttribute('method') || 'get').toLowerCase(),
              enctype: f.enctype, fields: fields});
});
const h1 = document.querySelector('h1');
return {overflow, small, latin, links, forms, type: document.contentType,
        h1: h1 ? h1.innerText : '', error_code: /Код ошибки|Error code/.test(document.body.innerText),
        alert: !!document.querySelector('[role=alert], .error')};
"""


def measure(driver):
    return driver.execute_script(MEASURE_JS, MIN_TARGET, LATIN_ALLOWED)
