// Suggests members to @mention in a reply box, from the thread's own list of people who can
// see it (a JSON endpoint). Without it, typing "@Full Name" works just the same.

function setUp(textarea) {
  const url = textarea.dataset.mentionsUrl;
  if (!url) return;
  const list = document.createElement("ul");
  list.className = "nhsuk-list forum-mention-list";
  list.id = `${textarea.id}-mentions`;
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "People you can mention");
  list.hidden = true;
  textarea.after(list);
  textarea.setAttribute("aria-autocomplete", "list");
  textarea.setAttribute("aria-controls", list.id);
  let active = -1;
  let start = -1;
  let pending = 0;

  function close() {
    list.hidden = true;
    list.replaceChildren();
    active = -1;
    textarea.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    const items = [...list.children];
    items.forEach((item, n) => item.setAttribute("aria-selected", String(n === index)));
    active = index;
    if (items[index]) textarea.setAttribute("aria-activedescendant", items[index].id);
  }

  function choose(name) {
    const before = textarea.value.slice(0, start);
    const after = textarea.value.slice(textarea.selectionStart);
    textarea.value = `${before}@${name} ${after}`;
    const caret = before.length + name.length + 2;
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    close();
    textarea.focus();
  }

  async function suggest() {
    const upto = textarea.value.slice(0, textarea.selectionStart);
    const match = upto.match(/(?:^|[^\w@])@([^\s@][^@\n]{0,40})$/u);
    if (!match || match[1].split(" ").length > 4) return close();
    start = upto.length - match[1].length - 1;
    const ticket = ++pending;
    const response = await fetch(`${url}?q=${encodeURIComponent(match[1])}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok || ticket !== pending) return;
    const { members } = await response.json();
    list.replaceChildren();
    members.forEach((member, n) => {
      const item = document.createElement("li");
      item.id = `${list.id}-${n}`;
      item.setAttribute("role", "option");
      item.textContent = member.name;
      item.addEventListener("mousedown", (event) => {
        event.preventDefault();
        choose(member.name);
      });
      list.append(item);
    });
    list.hidden = members.length === 0;
    highlight(members.length ? 0 : -1);
  }

  textarea.addEventListener("input", (event) => {
    if (event.isTrusted) suggest();
  });
  textarea.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    const count = list.children.length;
    if (event.key === "ArrowDown") highlight((active + 1) % count);
    else if (event.key === "ArrowUp") highlight((active - 1 + count) % count);
    else if (event.key === "Enter" || event.key === "Tab") choose(list.children[active].textContent);
    else if (event.key === "Escape") close();
    else return;
    event.preventDefault();
  });
  textarea.addEventListener("blur", close);
}

for (const textarea of document.querySelectorAll("textarea[data-mentions-url]")) setUp(textarea);
