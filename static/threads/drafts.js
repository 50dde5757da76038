// Saves what a member types in a reply or new-thread form as a draft on the server, a moment
// after they stop typing. Without it the "Save draft" button does the same. A refusal (a draft
// over the length limit) is said in the form's status line; the text stays where it is.

const DELAY_MS = 1500;

function setUp(form) {
  const url = form.dataset.draftUrl;
  const status = form.querySelector("[data-draft-status]");
  const token = form.querySelector("input[name=csrfmiddlewaretoken]");
  if (!url || !token) return;
  let timer = null;
  let lastSent = null;

  function say(text, isError) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("nhsuk-error-message", Boolean(isError));
  }

  async function save() {
    const data = new FormData();
    data.append("csrfmiddlewaretoken", token.value);
    for (const name of ["title", "body"]) {
      const field = form.elements.namedItem(name);
      if (field) data.append(name, field.value);
    }
    const snapshot = `${data.get("title") ?? ""}\u0000${data.get("body") ?? ""}`;
    if (snapshot === lastSent) return;
    try {
      const response = await fetch(url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) {
        lastSent = snapshot;
        say(answer.saved ? "Draft saved." : "", false);
      } else {
        say(answer.error || "Your draft could not be saved. Your text is still here.", true);
      }
    } catch {
      say("Your draft could not be saved just now. Your text is still here.", true);
    }
  }

  form.addEventListener("input", (event) => {
    if (!["title", "body"].includes(event.target.name)) return;
    clearTimeout(timer);
    timer = setTimeout(save, DELAY_MS);
  });
  form.addEventListener("submit", () => clearTimeout(timer));
}

for (const form of document.querySelectorAll("form[data-draft-url]")) setUp(form);
