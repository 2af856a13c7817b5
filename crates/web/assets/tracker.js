// Relais's tracker: page views, custom events, scroll depth and engaged time, sent to
// Relais's /api/event in the shape Plausible's trackers use. No cookie, no local storage,
// nothing about the visitor is kept by the browser.
// <script defer data-domain="example.com" src="https://relais.example/js/script.js"></script>
// Custom events: relais("Signup", {props: {plan: "pro"}}).
(function (w, d) {
  var me = d.currentScript;
  if (!me) return;
  var domain = me.getAttribute("data-domain") || location.hostname.replace(/^www\./, "");
  var api = me.getAttribute("data-api") || new URL(me.src).origin + "/api/event";
  var hashMode = me.hasAttribute("data-hash");
  var page = null, shown = 0, engaged = 0, deepest = 0;

  function send(body) {
    if (w.navigator.webdriver && !w.__relais) return;
    body.d = domain;
    body.u = body.u || location.href;
    if (hashMode) body.h = 1;
    try {
      fetch(api, { method: "POST", headers: { "Content-Type": "text/plain" }, keepalive: true, body: JSON.stringify(body) });
    } catch (e) {}
  }

  function depth() {
    var h = Math.max(d.body ? d.body.scrollHeight : 0, d.documentElement.scrollHeight);
    var seen = (w.scrollY || 0) + w.innerHeight;
    return h > 0 ? Math.min(100, Math.round((seen / h) * 100)) : 0;
  }

  // One engagement report per page and visit of the page: how deep and how long it was read.
  function report() {
    if (!page) return;
    if (shown) engaged += Date.now() - shown;
    shown = 0;
    if (engaged > 0 || deepest > 0) send({ n: "engagement", u: page, sd: deepest, e: engaged });
    engaged = 0;
  }

  function view() {
    var here = location.href;
    if (page && here.split("#")[0] === page.split("#")[0] && !hashMode) return;
    report();
    page = here;
    deepest = depth();
    shown = d.visibilityState === "visible" ? Date.now() : 0;
    send({ n: "pageview", r: d.referrer || null });
  }

  w.addEventListener("scroll", function () { deepest = Math.max(deepest, depth()); }, { passive: true });
  d.addEventListener("visibilitychange", function () {
    if (d.visibilityState === "hidden") report();
    else if (!shown) shown = Date.now();
  });
  var push = history.pushState;
  history.pushState = function () { push.apply(this, arguments); view(); };
  w.addEventListener("popstate", view);
  if (hashMode) w.addEventListener("hashchange", view);

  w.relais = function (name, options) {
    options = options || {};
    var body = { n: name, r: d.referrer || null };
    if (options.props) body.p = options.props;
    if (options.revenue) body.$ = options.revenue;
    if (options.interactive === false) body.i = false;
    send(body);
  };
  view();
})(window, document);
