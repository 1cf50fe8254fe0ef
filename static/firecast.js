// firecast: the little the pages need. Forms post without it; the region picker needs it to load lower levels.
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

// Region picker (org::picker): one select per level, each loading the next, and a search by name,
// pinyin or initials. The hidden field carries the chosen code; the selects and the search box
// post only when script is off.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".region-picker").forEach((picker) => {
    const d = picker.dataset;
    const min = Number(d.min), max = Number(d.max);
    const hidden = picker.querySelector(".rp-value");
    const levels = picker.querySelector(".rp-levels");
    const search = picker.querySelector(".rp-search");
    const matches = picker.querySelector(".rp-matches");
    const field = hidden.name;
    if (!search) return;
    const load = (query) => fetch(`${d.source}?${query}`, { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : []));
    // A region's code from one segment of its path (`/22/2201/220102/`).
    const codeOf = (segment) => (segment.length < 6 ? segment.padEnd(6, "0") : segment);
    const selects = () => [...levels.querySelectorAll(".rp-level")];
    const choose = () => {
      const picked = selects().filter((s) => s.value).pop();
      const level = picked ? Number(picked.dataset.level) : 0;
      hidden.value = picked && level >= min ? picked.value : d.unchosen;
      hidden.dispatchEvent(new Event("change", { bubbles: true }));
    };
    const dropBelow = (level) => selects().forEach((s) => { if (Number(s.dataset.level) > level) s.parentElement.remove(); });
    const addLevel = (level, rows, selected) => {
      if (!rows.length) return null;
      const step = document.createElement("div");
      step.className = "rp-step";
      const label = document.createElement("label");
      label.htmlFor = `${field}-l${level}`;
      label.textContent = d[`l${level}`] || "";
      const next = document.createElement("select");
      next.className = "rp-level";
      next.id = label.htmlFor;
      next.dataset.level = String(level);
      const blank = document.createElement("option");
      blank.value = "";
      // A blank choice stands for the level above (or the whole area) where that may be chosen.
      blank.textContent = level > min ? d.all : d.choose;
      next.appendChild(blank);
      rows.forEach((r) => next.appendChild(new Option(r.name, r.code, false, r.code === selected)));
      next.addEventListener("change", () => changed(next));
      step.append(label, next);
      levels.appendChild(step);
      return next;
    };
    const changed = (select) => {
      const level = Number(select.dataset.level);
      dropBelow(level);
      choose();
      if (!select.value || level >= max) return;
      load(`parent=${encodeURIComponent(select.value)}`).then((rows) => {
        // A place with nothing below it may be chosen at any level.
        if (!rows.length) hidden.value = select.value;
        addLevel(level + 1, rows, "");
      });
    };
    // Rebuild the selects down to a region found by the search.
    const jumpTo = async (region) => {
      const chain = region.path.split("/").filter(Boolean).map(codeOf);
      let parent = d.root;
      dropBelow(Number(d.first) - 1);
      for (const code of chain.slice(chain.indexOf(d.root) + 1)) {
        const level = Number(d.first) + selects().length;
        if (level > max) break;
        const rows = await load(`parent=${encodeURIComponent(parent)}`);
        addLevel(level, rows, code);
        parent = code;
      }
      const last = selects().pop();
      if (last && last.value && Number(last.dataset.level) < max) {
        addLevel(Number(last.dataset.level) + 1, await load(`parent=${encodeURIComponent(last.value)}`), "");
      }
      choose();
    };
    let timer = null;
    const find = () => {
      const q = search.value.trim();
      matches.replaceChildren();
      matches.hidden = !q;
      if (!q) return;
      load(`q=${encodeURIComponent(q)}`).then((rows) => {
        if (search.value.trim() !== q) return;
        const fit = rows
          .filter((r) => r.level >= Number(d.first) && (r.level >= min || r.children === 0) && r.level <= max)
          .slice(0, 12);
        matches.replaceChildren();
        if (!fit.length) {
          const none = document.createElement("li");
          none.className = "muted";
          none.textContent = d.none;
          matches.appendChild(none);
        }
        fit.forEach((r) => {
          const li = document.createElement("li");
          const b = document.createElement("button");
          b.type = "button";
          b.className = "link";
          b.textContent = r.name;
          const where = document.createElement("span");
          where.className = "muted";
          where.textContent = ` ${d[`l${r.level}`] || ""}${r.parent_name ? ` · ${r.parent_name}` : ""}`;
          b.appendChild(where);
          b.addEventListener("click", () => {
            search.value = "";
            matches.hidden = true;
            jumpTo(r);
          });
          li.appendChild(b);
          matches.appendChild(li);
        });
      });
    };
    search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(find, 200); });
    search.addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault();
      const first = matches.querySelector("button");
      if (first) first.click();
    });
    // With script, only the hidden field posts.
    selects().forEach((s) => { s.removeAttribute("name"); s.addEventListener("change", () => changed(s)); });
    search.removeAttribute("name");
  });
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

// Header: how many things wait for the signed-in user (the home page's to-do list).
document.addEventListener("DOMContentLoaded", () => {
  const badge = document.getElementById("todo-count");
  if (!badge) return;
  fetch("/api/v1/home/waiting", { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : null))
    .then((todo) => {
      if (!todo || !todo.total) return;
      badge.querySelector("b").textContent = todo.total.toLocaleString(document.documentElement.lang || "zh-CN");
      badge.hidden = false;
    })
    .catch(() => {});
});

// Hazard form: "use my location" fills the coordinates from the phone's position.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("locate");
  if (!button || !navigator.geolocation) return;
  button.hidden = false;
  const status = document.getElementById("locate-status");
  button.addEventListener("click", () => {
    status.textContent = button.dataset.busy;
    navigator.geolocation.getCurrentPosition(
      (p) => {
        document.getElementById("latitude").value = p.coords.latitude.toFixed(6);
        document.getElementById("longitude").value = p.coords.longitude.toFixed(6);
        button.closest("details").open = true;
        status.textContent = button.dataset.done;
      },
      () => { status.textContent = button.dataset.failed; },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });
});

// Door check-in: where the browser reads QR codes itself (BarcodeDetector), the camera scans a
// ticket and submits its code; elsewhere the phone's own scanner opens the door link, or the code
// is typed.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("scan");
  if (!box || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  box.hidden = false;
  const video = document.getElementById("scan-video");
  document.getElementById("scan-start").addEventListener("click", async () => {
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const look = async () => {
      const found = await detector.detect(video).catch(() => []);
      const text = found.length ? found[0].rawValue : "";
      if (!text) { requestAnimationFrame(look); return; }
      stream.getTracks().forEach((t) => t.stop());
      let code = text;
      try { code = new URL(text).searchParams.get("code") || text; } catch (_) { /* a bare code */ }
      document.getElementById("code").value = code;
      document.getElementById("door-form").submit();
    };
    look();
  });
});
