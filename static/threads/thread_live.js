// Live replies on a thread page, and the header's unread count. The page works without it.
//
// The socket only says *that* a reply exists ({"type": "post.created", "post_id": N}); the post
// itself is fetched over HTTP, rendered for this reader by the page's own template and rules.

const root = document.querySelector("[data-thread-posts]");
const status = document.querySelector("[data-live-status]");

function announce(text) {
  if (status) status.textContent = text;
}

async function showPost(postId) {
  if (!root || document.getElementById(`post-${postId}`)) return;
  if (root.dataset.lastPage !== "true") {
    const notice = document.querySelector("[data-new-replies]");
    if (notice) notice.hidden = false;
    announce("New replies have been posted. Go to the latest page to read them.");
    return;
  }
  const response = await fetch(`${root.dataset.postUrlPrefix}${postId}/fragment/`, {
    credentials: "same-origin",
    headers: { Accept: "text/html" },
  });
  if (!response.ok || document.getElementById(`post-${postId}`)) return;
  const template = document.createElement("template");
  template.innerHTML = (await response.text()).trim();
  const article = template.content.firstElementChild;
  if (!article) return;
  root.appendChild(article);
  announce("A new reply has been posted.");
}

async function refreshPost(postId) {
  // Edited, hidden, restored or deleted: fetch it again for this reader, or drop it.
  const current = document.getElementById(`post-${postId}`);
  if (!root || !current) return;
  const response = await fetch(`${root.dataset.postUrlPrefix}${postId}/fragment/`, {
    credentials: "same-origin",
    headers: { Accept: "text/html" },
  });
  if (response.status === 404) {
    current.remove();
    announce("A post was removed.");
    return;
  }
  if (!response.ok) return;
  const template = document.createElement("template");
  template.innerHTML = (await response.text()).trim();
  const article = template.content.firstElementChild;
  if (article) current.replaceWith(article);
}

async function refreshCount() {
  const badge = document.querySelector("[data-notification-count]");
  if (!badge) return;
  const response = await fetch("/notifications/count/", { credentials: "same-origin" });
  if (!response.ok) return;
  const { unread } = await response.json();
  badge.hidden = unread === 0;
  const number = badge.querySelector("[data-count]");
  if (number) number.textContent = String(unread);
}

function connect(attempt = 0) {
  if (!root) return;
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${window.location.host}/ws/threads/${root.dataset.threadId}/`);
  socket.addEventListener("open", () => {
    attempt = 0;
  });
  socket.addEventListener("message", (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (frame.type === "post.created") showPost(frame.post_id);
    else if (frame.type === "post.changed") refreshPost(frame.post_id);
    else if (frame.type === "notifications") refreshCount();
  });
  socket.addEventListener("close", (event) => {
    // 4401, 4403 and 4404 mean "stop": signed out, no longer allowed, or gone.
    if (event.code >= 4400 && event.code < 4500) return;
    const delay = Math.min(30000, 1000 * 2 ** attempt) + Math.random() * 500;
    window.setTimeout(() => connect(attempt + 1), delay);
  });
}

connect();
