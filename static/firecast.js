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
