// Fetches /data.json and fills in the "Live check" card.
(async () => {
  const served = document.getElementById("served");
  const list = document.getElementById("features");
  const card = document.getElementById("status");
  try {
    const res = await fetch("/data.json", { cache: "no-store" });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const data = await res.json();
    const when = res.headers.get("Date");
    const type = res.headers.get("Content-Type");
    served.textContent = `${data.name} answered at ${
      when ? new Date(when).toLocaleTimeString() : "an unknown time"
    } with ${type}.`;
    for (const feature of data.features) {
      const li = document.createElement("li");
      li.textContent = feature;
      list.append(li);
    }
    card.classList.add("ok");
    document.documentElement.dataset.loaded = "yes";
  } catch (err) {
    served.textContent = `Could not load /data.json: ${err.message}`;
    card.classList.add("error");
    document.documentElement.dataset.loaded = "error";
  }
})();
