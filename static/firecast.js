// firecast: the little the pages need. Everything works without it.
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector(".nav-toggle");
  const nav = document.getElementById("main-nav");
  if (toggle && nav) {
    toggle.addEventListener("click", () => {
      const open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  }
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (e) => {
      if (!window.confirm(el.dataset.confirm)) e.preventDefault();
    });
  });
});
// Quiz countdown: the server keeps the real deadline; this only shows it.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".countdown[data-seconds]").forEach((el) => {
    let left = Number(el.dataset.seconds);
    const tick = () => {
      el.textContent = left > 0 ? `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}` : "0:00";
      if (left <= 30) el.classList.add("urgent");
      left -= 1;
    };
    tick();
    setInterval(tick, 1000);
  });
});

// Volunteer challenge board: refresh the tables from their fragment every 5 seconds.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-refresh]").forEach((el) => {
    const url = el.dataset.refresh;
    const refresh = () => {
      fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
        .then((html) => { el.innerHTML = html; })
        .catch(() => {});
    };
    window.setInterval(refresh, 5000);
  });
});

// Hazard report form: one select per region level, each loading the next from the JSON endpoint.
document.addEventListener("DOMContentLoaded", () => {
  const picker = document.querySelector(".hz-picker");
  const hidden = document.getElementById("region_code");
  if (!picker || !hidden) return;
  const source = picker.dataset.source;
  const choose = picker.dataset.choose || "";
  const onChange = (select) => {
    const level = Number(select.dataset.level);
    picker.querySelectorAll(".hz-pick").forEach((s) => {
      if (Number(s.dataset.level) > level) {
        const label = picker.querySelector(`label[for="${s.id}"]`);
        if (label) label.remove();
        s.remove();
      }
    });
    hidden.value = level >= 3 ? select.value : "";
    if (!select.value || level >= 4) return;
    fetch(`${source}?parent=${encodeURIComponent(select.value)}`, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : []))
      .then((rows) => {
        if (!rows.length) return;
        const next = document.createElement("select");
        next.className = "hz-pick";
        next.dataset.level = String(level + 1);
        next.id = `r${level + 1}`;
        next.name = `r${level + 1}`;
        const label = document.createElement("label");
        label.htmlFor = next.id;
        label.textContent = picker.dataset[`l${level + 1}`] || "";
        const blank = document.createElement("option");
        blank.value = "";
        blank.textContent = choose;
        next.appendChild(blank);
        rows.forEach((r) => {
          const o = document.createElement("option");
          o.value = r.code;
          o.textContent = r.name;
          next.appendChild(o);
        });
        next.addEventListener("change", () => onChange(next));
        picker.appendChild(label);
        picker.appendChild(next);
      });
  };
  picker.querySelectorAll(".hz-pick").forEach((s) => s.addEventListener("change", () => onChange(s)));
});

// Live competitions: follow the match's server-sent events and re-render the live fragment from
// the page itself (the server holds the state; a plain reload shows the same).
document.addEventListener("DOMContentLoaded", () => {
  const root = document.querySelector("[data-live]");
  if (!root || !window.EventSource) return;
  let busy = false;
  let again = false;
  const startCountdowns = (el) => {
    el.querySelectorAll(".countdown[data-seconds]").forEach((c) => {
      let left = Number(c.dataset.seconds);
      const tick = () => {
        c.textContent = left > 0 ? `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}` : "0:00";
        if (left <= 10) c.classList.add("urgent");
        left -= 1;
      };
      tick();
      c.liveTimer = setInterval(tick, 1000);
    });
  };
  const refresh = () => {
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then((r) => r.text())
      .then((html) => {
        const next = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live]");
        const current = document.querySelector("[data-live]");
        if (next && current) {
          current.querySelectorAll(".countdown").forEach((c) => clearInterval(c.liveTimer));
          const typing = current.contains(document.activeElement) && document.activeElement.name === "text";
          if (!typing) { current.innerHTML = next.innerHTML; startCountdowns(current); }
        }
      })
      .catch(() => {})
      .finally(() => { busy = false; if (again) { again = false; refresh(); } });
  };
  const source = new EventSource(root.dataset.live);
  ["start", "wager", "open", "answer", "buzz", "close", "reveal", "next", "finish", "correct", "lagged"].forEach((k) =>
    source.addEventListener(k, refresh));
  root.querySelectorAll(".countdown").forEach((c) => { c.liveTimer = null; });
});

// Push composer: the live count of units and households the ticked regions reach.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector(".pu-composer");
  const out = document.getElementById("reach");
  if (!form || !out) return;
  const fmt = out.dataset.fmt || "";
  const num = (n) => Number(n || 0).toLocaleString("en-US");
  let seq = 0;
  const update = () => {
    const codes = Array.from(form.querySelectorAll("input.pu-target:checked")).map((b) => b.value);
    const mine = ++seq;
    fetch(`${out.dataset.source}?targets=${encodeURIComponent(codes.join(","))}`, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((r) => {
        if (mine !== seq) return;
        out.textContent = fmt.replace(/\{(\w+)\}/g, (_, k) => num(r[k]));
      })
      .catch(() => {});
  };
  form.querySelectorAll("input.pu-target").forEach((b) => b.addEventListener("change", update));
});
