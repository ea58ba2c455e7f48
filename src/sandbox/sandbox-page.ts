/**
 * The sandbox's web page: every simulated phone with its conversation, refreshed every second, and a box to
 * reply as the user. Plain HTML and a few lines of script, so it works without a build step.
 */
export function sandboxPage(providers: readonly { name: string; title: string }[]): string {
  const names = JSON.stringify(Object.fromEntries(providers.map((p) => [p.name, p.title])));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Herald sandbox</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
header{background:#1d2330;color:#fff;padding:12px 20px}header h1{margin:0;font-size:18px}
main{display:flex;flex-wrap:wrap;gap:16px;padding:16px}
.phone{background:#fff;border-radius:12px;width:320px;box-shadow:0 1px 3px #0002;display:flex;flex-direction:column}
.phone h2{font-size:14px;margin:0;padding:10px 12px;border-bottom:1px solid #eee}
.phone h2 small{display:block;color:#667;font-weight:normal}
.log{padding:8px 12px;height:280px;overflow-y:auto;display:flex;flex-direction:column;gap:6px}
.msg{max-width:85%;padding:6px 9px;border-radius:10px;font-size:13px;white-space:pre-wrap;word-break:break-word}
.out{background:#e7f0ff;align-self:flex-start}.in{background:#dcf8c6;align-self:flex-end}
.status{display:block;font-size:10px;color:#667}
form{display:flex;border-top:1px solid #eee}form input{flex:1;border:0;padding:10px;font-size:13px}
form button{border:0;background:#1d2330;color:#fff;padding:0 14px;cursor:pointer}
.empty{padding:24px;color:#667}
</style></head>
<body><header><h1>Herald sandbox</h1></header><main id="phones"><p class="empty">No conversations yet. Send a message through Herald.</p></main>
<script>
const titles = ${names};
const base = location.pathname.replace(/\\/$/, '');
const drafts = {};
async function refresh() {
  const res = await fetch(base + '/_sandbox/phones');
  const { phones } = await res.json();
  const main = document.getElementById('phones');
  if (!phones.length) return;
  const focused = document.activeElement && document.activeElement.dataset.key;
  main.innerHTML = '';
  for (const p of phones) {
    const key = p.provider + '|' + p.account + '|' + p.user;
    const el = document.createElement('section');
    el.className = 'phone';
    const h = document.createElement('h2');
    h.textContent = p.user;
    const sub = document.createElement('small');
    sub.textContent = (titles[p.provider] || p.provider) + ' · ' + p.account;
    h.appendChild(sub);
    const log = document.createElement('div');
    log.className = 'log';
    for (const e of p.entries) {
      const m = document.createElement('div');
      m.className = 'msg ' + e.direction;
      m.textContent = e.summary;
      if (e.status) { const s = document.createElement('span'); s.className = 'status'; s.textContent = e.status; m.appendChild(s); }
      log.appendChild(m);
    }
    const form = document.createElement('form');
    const input = document.createElement('input');
    input.placeholder = 'Reply as this user';
    input.dataset.key = key;
    input.value = drafts[key] || '';
    input.oninput = () => { drafts[key] = input.value; };
    const button = document.createElement('button');
    button.textContent = 'Send';
    form.append(input, button);
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      if (!input.value) return;
      await fetch(base + '/_sandbox/phones/reply', { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ provider: p.provider, account: p.account, user: p.user, text: input.value }) });
      drafts[key] = '';
      refresh();
    };
    el.append(h, log, form);
    main.appendChild(el);
    log.scrollTop = log.scrollHeight;
    if (focused === key) input.focus();
  }
}
refresh();
setInterval(refresh, 1000);
</script></body></html>`;
}
