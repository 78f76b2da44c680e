// Live notices (web/live_stream.py): a toast on every staff page when a task reaches you, its SLA warns or
// breaches; the inbox list re-fetches itself ("kd-live" event). One tab per browser holds the stream (a Web Lock)
// and passes each notice to the other tabs (a BroadcastChannel), so many tabs still hold one server thread.
// Desktop notifications and the red-channel sound are settings of this browser (the permission is the browser's).
(() => {
  const root = document.getElementById("kd-live");
  if (!root) return;
  const texts = JSON.parse(root.dataset.texts);
  const zh = document.documentElement.lang.startsWith("zh");
  const KEY = "kd-live-position";
  const FRESH_MS = 120000; // a position older than this is not resumed: the inbox shows what waits anyway
  const tabs = "BroadcastChannel" in window ? new BroadcastChannel("kd-live") : null;
  const setting = (name) => localStorage.getItem(`kd-live-${name}`) === "1";

  const remember = (id) => localStorage.setItem(KEY, JSON.stringify({ id, at: Date.now() }));
  const resumeFrom = () => {
    try {
      const saved = JSON.parse(localStorage.getItem(KEY));
      return saved && Date.now() - saved.at < FRESH_MS ? saved.id : null;
    } catch {
      return null;
    }
  };

  const toast = (notice) => {
    const task = zh && notice.task.name_zh ? notice.task.name_zh : notice.task.name;
    const box = document.createElement("div");
    box.className = "toast";
    box.setAttribute("role", "status");
    box.dataset.kind = notice.kind;
    box.dataset.ticket = notice.ticket.number;
    const head = document.createElement("div");
    head.className = "toast-header";
    const dot = document.createElement("span");
    dot.className = `kd-dot kd-${notice.ticket.channel} me-2`;
    const title = document.createElement("strong");
    title.className = "me-auto";
    title.textContent = texts[notice.kind];
    const close = document.createElement("button");
    Object.assign(close, { type: "button", className: "btn-close" });
    close.dataset.bsDismiss = "toast";
    close.setAttribute("aria-label", texts.close);
    head.append(dot, title, close);
    const body = document.createElement("div");
    body.className = "toast-body";
    const link = document.createElement("a");
    link.href = root.dataset.taskUrl.replace(/0$/, notice.task.id);
    link.textContent = `${notice.ticket.number} · ${task}`;
    const about = document.createElement("div");
    about.className = "small text-muted";
    about.textContent = notice.ticket.title;
    body.append(link, about);
    box.append(head, body);
    root.append(box);
    box.addEventListener("hidden.bs.toast", () => box.remove());
    new bootstrap.Toast(box, { delay: notice.kind === "breach" ? 30000 : 10000 }).show();
  };

  let audio = null;
  const beep = () => {
    audio = audio || new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.6);
  };
  document.addEventListener("click", () => audio?.resume(), { once: true }); // browsers start audio on a click

  const alertOutside = (notice) => {
    if (setting("desktop") && "Notification" in window && Notification.permission === "granted"
        && document.visibilityState !== "visible") {
      const task = zh && notice.task.name_zh ? notice.task.name_zh : notice.task.name;
      new Notification(texts[notice.kind], { body: `${notice.ticket.number} · ${task}`, tag: notice.id });
    }
    if (setting("sound") && notice.ticket.channel === "red") beep();
  };

  const show = (notice) => {
    toast(notice);
    htmx.trigger(document.body, "kd-live");
  };

  // The tab holding the lock reads the stream; EventSource reconnects by itself after each 25 s stream with
  // Last-Event-ID. A refused stream (503: the server is full; 401: signed out) closes: try again later from the
  // last position, which every tab keeps.
  const lead = () => {
    const open = () => {
      const url = new URL(root.dataset.stream, location.href);
      const after = resumeFrom();
      if (after) url.searchParams.set("after", after);
      const source = new EventSource(url);
      source.addEventListener("position", (event) => {
        remember(event.lastEventId);
        root.dataset.connected = "1"; // the stream is open (and other tabs know it only through their notices)
      });
      source.addEventListener("message", (event) => {
        remember(event.lastEventId);
        const notice = JSON.parse(event.data);
        show(notice);
        alertOutside(notice);
        tabs?.postMessage(notice);
      });
      source.addEventListener("error", () => {
        if (source.readyState === EventSource.CLOSED) setTimeout(open, 5000 + Math.random() * 10000);
      });
    };
    open();
    return new Promise(() => {}); // held while this tab lives
  };
  if (tabs) tabs.onmessage = (event) => show(event.data);
  if (navigator.locks) navigator.locks.request("kd-live", lead);
  else lead();

  // The settings: asking for the notification permission needs the person's click, which ticking the box is.
  const blocked = document.getElementById("kd-live-blocked");
  document.querySelectorAll("[data-setting]").forEach((box) => {
    const name = box.dataset.setting;
    box.checked = setting(name);
    box.addEventListener("change", async () => {
      if (name === "desktop" && box.checked && "Notification" in window && Notification.permission !== "granted") {
        box.checked = (await Notification.requestPermission()) === "granted";
        blocked.hidden = box.checked;
      }
      if (name === "sound" && box.checked) {
        audio = audio || new AudioContext();
        audio.resume();
      }
      localStorage.setItem(`kd-live-${name}`, box.checked ? "1" : "0");
    });
  });
})();
