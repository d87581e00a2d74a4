// The app page's script: counts the tokens' lifetimes down, dates the time
// claims, and calls the API through the page's server (which holds the tokens).
// It writes text only (textContent), never markup.
'use strict';

const started = performance.now();

function clock(seconds) {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const two = (n) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

// The server says how many seconds were left when it rendered the page (by the
// stack's clock); the browser's monotonic clock counts from there.
function tick() {
  const elapsed = Math.floor((performance.now() - started) / 1000);
  for (const el of document.querySelectorAll('[data-expires-in]')) {
    const left = Number(el.dataset.expiresIn) - elapsed;
    el.textContent = left > 0 ? `expires in ${clock(left)}` : 'expired';
    el.classList.toggle('expired', left <= 0);
  }
}

function dateTimes() {
  for (const el of document.querySelectorAll('[data-epoch]')) {
    const date = new Date(Number(el.dataset.epoch) * 1000);
    el.textContent = `${el.dataset.epoch} (${date.toISOString().replace('.000Z', 'Z')})`;
  }
}

async function call(button) {
  const name = button.dataset.out;
  const status = document.getElementById(`status-${name}`);
  const body = document.getElementById(`body-${name}`);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const use = document.getElementById('token-use').value;
  status.className = 'status';
  status.textContent = '\u2026';
  body.hidden = true;
  try {
    const response = await fetch('/app/call', {
      method: 'POST',
      credentials: 'same-origin',
      body: new URLSearchParams({ route: button.dataset.route, use, _csrf: csrf }),
    });
    const answer = await response.json();
    if (!response.ok) {
      status.textContent = answer.error;
      status.classList.add('denied');
      return;
    }
    status.textContent = `${answer.status} ${answer.reason}`;
    status.classList.add(answer.status < 300 ? 'ok' : 'denied');
    body.textContent = answer.body;
    body.hidden = false;
  } catch (e) {
    status.textContent = `the page's server did not answer (${e.message})`;
    status.classList.add('denied');
  }
}

document.addEventListener('DOMContentLoaded', () => {
  dateTimes();
  tick();
  setInterval(tick, 1000);
  for (const button of document.querySelectorAll('button[data-route]')) {
    button.addEventListener('click', () => call(button));
  }
});
