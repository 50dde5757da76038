// The live room (/live/<id>/): one plain ES module, no framework, no build step.
//
// Protocol: SPEC.md "WebSocket protocol (fixed)". Every stored event carries a gap-free `seq`;
// this module renders each seq once, asks for what it missed on a gap or after a reconnect
// (`hello` with the last seq it holds), keeps unsent text in the composer, and says what the
// connection is doing.

const root = document.getElementById("live-room");
if (root) start(root);

function start(root) {
  const $ = (id) => document.getElementById(id);
  const me = Number(root.dataset.userId);
  const isFacilitator = root.dataset.facilitator === "true";
  const stream = $("live-stream");
  const questions = $("live-questions");
  const hands = $("live-hands");
  const present = $("live-present");
  const connection = $("live-connection");
  const composer = $("live-composer");
  const body = $("live-body");
  const bodyError = $("live-body-error");
  const asQuestion = $("live-as-question");
  const anonymous = $("live-anonymous");
  const handButton = $("live-hand");
  const STOP_CODES = {
    4401: "You are signed out. Sign in again, then reload this page.",
    4403: "You cannot take part in this session.",
    4404: "This session is not available.",
  };
  const RECONNECT_NOW = 4012; // the sign-in was renewed: reconnect at once with the new cookie
  const muteBox = $("live-muted");

  let lastSeq = Number(root.dataset.lastSeq) || 0;
  let ws = null;
  let attempts = 0;
  let stopped = false;
  let backfillAsked = false;
  let replyTo = null;
  let session = {};
  let chatClosed = false;
  let mutedUntil = root.dataset.mutedUntil ? new Date(root.dataset.mutedUntil) : null;
  let muteTimer = null;
  let refusal = null; // the last error frame: the reason, when the server then closes
  const early = new Map(); // seq -> frame that arrived before the seqs in front of it
  const outbox = new Map(); // client_msg_id -> frame sent but not yet acknowledged

  // -- connection ------------------------------------------------------------------------

  function setConnection(state, text) {
    connection.dataset.state = state;
    connection.textContent = text;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    setConnection("connecting", "Connecting…");
    ws = new WebSocket(`${scheme}://${location.host}${root.dataset.wsPath}`);
    ws.addEventListener("open", () => {
      attempts = 0;
      refusal = null;
      backfillAsked = false;
      send({ type: "hello", after_seq: lastSeq });
    });
    ws.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      handle(frame);
    });
    ws.addEventListener("close", (event) => {
      ws = null;
      if (STOP_CODES[event.code]) {
        stop(event.code);
        return;
      }
      // Renewed after a successful connection: at once; otherwise back off as for any drop.
      const now = event.code === RECONNECT_NOW && attempts === 0;
      const delay = now ? 0 : Math.min(30000, 1000 * 2 ** attempts) + Math.floor(Math.random() * 500);
      attempts += 1;
      setConnection(
        "reconnecting",
        `Connection lost. Reconnecting in ${Math.round(delay / 1000)} seconds… Your unsent text is kept.`,
      );
      retryTimer = setTimeout(() => {
        retryTimer = null;
        if (!stopped) connect();
      }, delay);
    });
  }

  // The server closed for good (signed out, sanctioned, removed, not allowed): say why, with the
  // server's own words when it gave them, and stop offering to send. The draft stays.
  function stop(code) {
    stopped = true;
    const why = refusal && refusal.detail ? refusal.detail : STOP_CODES[code];
    connection.dataset.state = "stopped";
    connection.replaceChildren(why);
    if (refusal && refusal.code === "mfa_required" && isLocal(refusal.url)) {
      connection.append(" ", el("a", { href: refusal.url }, "Set up two-factor authentication"));
    } else if (code === 4401) {
      connection.append(" ", el("a", { href: `/accounts/login/?next=${encodeURIComponent(location.pathname)}` }, "Sign in again"));
    }
    updateControls();
  }

  function isLocal(url) {
    return typeof url === "string" && url.startsWith("/") && !url.startsWith("//");
  }

  // -- what the member may do now: Send and the hand follow the room and their mute -----------

  function isMuted() {
    return mutedUntil !== null && mutedUntil > new Date();
  }

  function setMuted(until, detail) {
    if (muteTimer) clearTimeout(muteTimer);
    muteTimer = null;
    mutedUntil = until && !Number.isNaN(until.getTime()) ? until : null;
    if (isMuted()) {
      const sameDay = mutedUntil.toDateString() === new Date().toDateString();
      const time = mutedUntil.toLocaleString([], sameDay ? { hour: "2-digit", minute: "2-digit" } : { dateStyle: "long", timeStyle: "short" });
      muteBox.replaceChildren(el("strong", {}, "Muted until ", el("time", { datetime: mutedUntil.toISOString() }, time), "."), " ", detail || "");
      muteBox.hidden = false;
      // Timers cap at about 24.8 days; a longer mute is re-armed when it fires.
      muteTimer = setTimeout(() => setMuted(mutedUntil, detail), Math.min(mutedUntil - new Date() + 500, 2147483000));
    } else {
      mutedUntil = null;
      muteBox.hidden = true;
      muteBox.replaceChildren();
    }
    updateControls();
  }

  function updateControls() {
    $("live-send").disabled = stopped || chatClosed || isMuted();
    handButton.disabled = stopped || isMuted();
  }

  // A dropped network does not always close a socket promptly; the browser's own events do.
  let retryTimer = null;
  window.addEventListener("offline", () => {
    if (ws) ws.close();
  });
  window.addEventListener("online", () => {
    if (stopped || ws) return;
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    attempts = 0;
    connect();
  });

  function send(frame) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  // -- frames from the server --------------------------------------------------------------

  const STREAM = new Set(["message", "question", "message.removed", "state"]);

  function handle(frame) {
    if (STREAM.has(frame.type)) return onStream(frame);
    switch (frame.type) {
      case "welcome":
        applySession(frame.session);
        if (frame.you) setMuted(frame.you.muted ? new Date(frame.you.muted.until) : null, frame.you.muted?.detail);
        setPresent(frame.present || []);
        setHands(frame.hands || []);
        setConnection("connected", "Connected. New messages appear below as they are sent.");
        for (const pending of outbox.values()) send(pending); // resend: stored once by id
        if (frame.last_seq < lastSeq) resync(frame.last_seq);
        break;
      case "resync":
        resync(frame.from_seq);
        break;
      case "ack":
        acknowledged(frame.client_msg_id);
        break;
      case "error":
        refusal = frame;
        if (frame.code === "muted" && frame.until) setMuted(new Date(frame.until), frame.detail);
        showError(frame);
        break;
      case "presence":
        if (frame.action === "join") addPresent(frame.user);
        else present.querySelector(`[data-user-id="${frame.user.id}"]`)?.remove();
        updatePresentCount();
        break;
      case "hands":
        setHands(frame.hands);
        break;
      case "question.upvotes":
        setUpvotes(frame.question_seq, frame.upvotes);
        break;
      case "notice":
        if (frame.code === "muted") setMuted(frame.until ? new Date(frame.until) : null, frame.detail);
        else if (frame.code === "unmuted") setMuted(null);
        setConnection(connection.dataset.state === "stopped" ? "stopped" : "connected", frame.detail);
        break;
      case "author":
        // Moderators and staff only: who wrote an anonymous message or question.
        if (session.status === "ended" && root.dataset.chathamHouse === "true") break;
        reveals.set(frame.target_seq, frame.author);
        showReveal(frame.target_seq);
        break;
    }
  }

  const reveals = new Map();

  function showReveal(seq) {
    const author = reveals.get(seq);
    const item = document.getElementById(`live-seq-${seq}`);
    if (!author || !item || item.querySelector(".forum-live-reveal")) return;
    item.querySelector(".forum-meta")?.append(
      " ",
      el("strong", { class: "nhsuk-tag nhsuk-tag--grey forum-live-reveal" }, `Anonymous to peers: ${author.display_name}`),
    );
  }

  function onStream(frame) {
    if (frame.seq <= lastSeq) {
      if (!stream.querySelector(`[data-seq="${frame.seq}"]`)) apply(frame);
      return;
    }
    if (frame.seq > lastSeq + 1) {
      early.set(frame.seq, frame);
      if (!backfillAsked) {
        backfillAsked = true;
        send({ type: "backfill", after_seq: lastSeq });
      }
      return;
    }
    apply(frame);
    lastSeq = frame.seq;
    while (early.has(lastSeq + 1)) {
      const next = early.get(lastSeq + 1);
      early.delete(lastSeq + 1);
      apply(next);
      lastSeq = next.seq;
    }
    if (early.size === 0) backfillAsked = false;
  }

  function resync(fromSeq) {
    stream.replaceChildren();
    questions.replaceChildren();
    early.clear();
    $("live-stream-gap").hidden = false;
    lastSeq = fromSeq;
  }

  function apply(frame) {
    if (frame.type === "message" || frame.type === "question") {
      if (stream.querySelector(`[data-seq="${frame.seq}"]`)) return;
      const item = renderEvent(frame);
      stream.append(item);
      enhance(item);
      showReveal(frame.seq);
    } else if (frame.type === "message.removed") {
      markRemoved(frame.target_seq);
    } else if (frame.type === "state") {
      applySession(frame.session);
    }
  }

  // -- rendering ---------------------------------------------------------------------------

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    }
    node.append(...children);
    return node;
  }

  function renderEvent(frame) {
    const author = frame.author
      ? frame.author.display_name
      : frame.type === "question" && frame.anonymous
        ? "Anonymous question"
        : "A member";
    const meta = el("p", { class: "forum-meta" }, el("span", { class: "forum-live-author" }, author), " ");
    if (frame.type === "question") meta.append(el("strong", { class: "nhsuk-tag nhsuk-tag--blue" }, "Question"), " ");
    const created = new Date(frame.created);
    // In the site's time zone (base.html), as the server renders stored events.
    const clock = created.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: document.documentElement.dataset.timeZone || undefined });
    meta.append(el("time", { datetime: created.toISOString() }, clock));
    if (frame.reply_to) {
      meta.append(" ", el("a", { class: "forum-live-reply-link", href: `#live-seq-${frame.reply_to}` }, `in reply to message ${frame.reply_to}`));
    }
    const content = el("div", { class: "forum-post-body" });
    if (frame.removed) content.append(el("p", {}, el("em", {}, "This message was removed by a facilitator.")));
    // body_html was rendered and sanitized on the server (threads/rendering.py), once.
    else content.innerHTML = frame.body_html;
    const item = el(
      "li",
      {
        class: `forum-live-event forum-live-event--${frame.type}${frame.removed ? " forum-live-event--removed" : ""}`,
        id: `live-seq-${frame.seq}`,
        "data-seq": frame.seq,
        "data-kind": frame.type,
      },
      meta,
      content,
    );
    if (frame.type === "question") item.dataset.upvotes = frame.upvotes || 0;
    if (frame.author) item.dataset.authorId = frame.author.id;
    return item;
  }

  function actionButton(label, hidden, onClick) {
    const button = el("button", { type: "button", class: "forum-link-button" }, label);
    if (hidden) button.append(el("span", { class: "nhsuk-u-visually-hidden" }, hidden));
    button.addEventListener("click", onClick);
    return button;
  }

  function enhance(item) {
    const seq = Number(item.dataset.seq);
    if (item.classList.contains("forum-live-event--removed") || item.querySelector(".forum-actions")) return;
    const actions = el("p", { class: "forum-actions forum-meta" });
    actions.append(
      actionButton("Reply", ` to message ${seq}`, () => {
        replyTo = seq;
        $("live-reply-to-seq").textContent = String(seq);
        $("live-reply-to").hidden = false;
        body.focus();
      }),
    );
    if (Number(item.dataset.authorId) !== me) {
      actions.append(
        actionButton("Flag", ` message ${seq} for moderators`, () => {
          // The guidelines' reasons (moderation.models.FlagReason), racism first; anything
          // else typed is kept as the details of an "other" report.
          const reasons = ["racist", "personal_attack", "confidentiality", "spam", "other"];
          const answer = prompt(
            "Why are you reporting this message? Type a number, or say why in your own words.\n" +
              "1 Racism, discrimination or a microaggression\n2 Personal attack\n" +
              "3 Breach of confidentiality\n4 Spam\n5 Other\n" +
              "The member is not told who reported it.",
          );
          const text = (answer || "").trim();
          const reason = reasons[Number(text) - 1] || text;
          if (reason) send({ type: "flag", seq, reason });
        }),
      );
    }
    if (isFacilitator) {
      actions.append(
        actionButton("Remove", ` message ${seq}`, () => {
          if (confirm("Remove this message for everyone?")) send({ type: "message.remove", seq });
        }),
      );
    }
    item.append(actions);
    if (item.dataset.kind === "question") addQuestion(item);
  }

  function addQuestion(item) {
    const seq = Number(item.dataset.seq);
    if (questions.querySelector(`[data-seq="${seq}"]`)) return;
    const count = el("span", { class: "forum-live-upvotes" }, item.dataset.upvotes || "0");
    const entry = el("li", { "data-seq": seq, class: "forum-live-question" });
    const text = el("div", { class: "forum-post-body" });
    text.innerHTML = item.querySelector(".forum-post-body").innerHTML;
    const row = el("p", { class: "forum-actions forum-meta" }, count, " upvotes ");
    row.append(actionButton("Upvote", ` question ${seq}`, () => send({ type: "question.upvote", seq })));
    if (isFacilitator) {
      row.append(actionButton("Spotlight", ` question ${seq}`, () => send({ type: "question.spotlight", seq })));
    }
    entry.append(text, row);
    questions.append(entry);
    sortQuestions();
  }

  function sortQuestions() {
    const items = [...questions.children];
    items.sort((a, b) => upvotesOf(b) - upvotesOf(a) || Number(a.dataset.seq) - Number(b.dataset.seq));
    questions.append(...items);
  }

  function upvotesOf(entry) {
    return Number(entry.querySelector(".forum-live-upvotes").textContent) || 0;
  }

  function setUpvotes(seq, upvotes) {
    const entry = questions.querySelector(`[data-seq="${seq}"]`);
    if (entry) entry.querySelector(".forum-live-upvotes").textContent = String(upvotes);
    const item = stream.querySelector(`[data-seq="${seq}"]`);
    if (item) item.dataset.upvotes = upvotes;
    sortQuestions();
  }

  function markRemoved(seq) {
    const item = stream.querySelector(`[data-seq="${seq}"]`);
    if (item) {
      item.classList.add("forum-live-event--removed");
      item.querySelector(".forum-live-author").textContent = "A member";
      item.querySelector(".forum-post-body").replaceChildren(el("p", {}, el("em", {}, "This message was removed by a facilitator.")));
      item.querySelector(".forum-actions")?.remove();
    }
    questions.querySelector(`[data-seq="${seq}"]`)?.remove();
  }

  // Chatham House: once the session ends, what is on screen stops saying who said what, as the
  // server's pages and replays already do.
  function withholdNames() {
    reveals.clear();
    for (const item of stream.querySelectorAll(".forum-live-event")) {
      delete item.dataset.authorId;
      item.querySelectorAll(".forum-live-reveal").forEach((tag) => tag.remove());
      const author = item.querySelector(".forum-live-author");
      if (author && author.textContent !== "Anonymous question") author.textContent = "A member";
    }
  }

  function applySession(state) {
    if (!state) return;
    session = state;
    if (state.status === "ended" && root.dataset.chathamHouse === "true") withholdNames();
    const labels = { scheduled: "Scheduled", open: "Lobby open", live: "Live now", ended: "Ended" };
    const colours = { scheduled: "blue", open: "yellow", live: "red", ended: "grey" };
    $("live-status").replaceChildren(el("strong", { class: `nhsuk-tag nhsuk-tag--${colours[state.status]}` }, labels[state.status]));
    $("live-prompt").textContent = state.prompt || "";
    $("live-prompt-box").hidden = !state.prompt;
    const spotlight = state.spotlight && stream.querySelector(`[data-seq="${state.spotlight}"] .forum-post-body`);
    $("live-spotlight-box").hidden = !spotlight;
    $("live-spotlight").innerHTML = spotlight ? spotlight.innerHTML : "";
    chatClosed = state.status !== "live" || (state.locked && !isFacilitator);
    const hint = state.status === "ended" ? "The session has ended." : state.status !== "live" ? "The chat opens when the facilitator starts the session." : state.locked && !isFacilitator ? "The facilitator has locked the chat for now." : state.slow_mode ? `Slow mode: one message every ${state.slow_mode} seconds.` : "";
    updateControls();
    composer.dataset.hint = hint;
    if (hint) setConnection(connection.dataset.state, `${connection.dataset.state === "connected" ? "Connected. " : ""}${hint}`);
  }

  function addPresent(user) {
    if (present.querySelector(`[data-user-id="${user.id}"]`)) return;
    const item = el("li", { "data-user-id": user.id }, user.display_name);
    if (isFacilitator && user.id !== me) {
      item.append(
        " ",
        actionButton("Mute", ` ${user.display_name}`, () => {
          const minutes = Number(prompt("Mute for how many minutes?", "15"));
          if (!(minutes > 0)) return;
          const reason = prompt(`Why are you muting ${user.display_name}? They are told the reason:`);
          if (reason && reason.trim()) send({ type: "participant.mute", user_id: user.id, minutes, reason });
        }),
        " ",
        actionButton("Unmute", ` ${user.display_name}`, () => send({ type: "participant.unmute", user_id: user.id })),
        " ",
        actionButton("Remove", ` ${user.display_name} from the session`, () => {
          const reason = prompt(`Remove ${user.display_name} from this session? Give a reason:`);
          if (reason) send({ type: "participant.remove", user_id: user.id, reason });
        }),
      );
    }
    present.append(item);
  }

  function setPresent(people) {
    present.replaceChildren();
    people.forEach(addPresent);
    updatePresentCount();
  }

  function updatePresentCount() {
    $("live-present-count").textContent = String(present.children.length);
  }

  function setHands(list) {
    hands.replaceChildren();
    let mine = false;
    for (const hand of list) {
      if (hand.id === me) mine = true;
      const item = el("li", { "data-user-id": hand.id }, hand.display_name);
      if (isFacilitator) {
        item.append(" ", actionButton("Lower", ` ${hand.display_name}'s hand`, () => send({ type: "hand.lower", user_id: hand.id })));
      }
      hands.append(item);
    }
    handButton.textContent = mine ? "Lower hand" : "Raise hand";
    handButton.dataset.raised = mine ? "true" : "false";
  }

  // -- composer ------------------------------------------------------------------------------

  function newId() {
    return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
  }

  function clearError() {
    bodyError.hidden = true;
    bodyError.textContent = "";
    $("live-composer-group").classList.remove("nhsuk-form-group--error");
  }

  function showError(frame) {
    if (frame.client_msg_id) outbox.delete(frame.client_msg_id);
    bodyError.hidden = false;
    bodyError.replaceChildren(el("span", { class: "nhsuk-u-visually-hidden" }, "Error: "), frame.detail);
    // Guidelines to accept first: link their page, which comes back here; the draft is kept.
    if (frame.code === "guidelines" && typeof frame.url === "string" && frame.url.startsWith("/") && !frame.url.startsWith("//")) {
      bodyError.append(" ", el("a", { href: frame.url }, "Read and accept the guidelines"));
    }
    $("live-composer-group").classList.add("nhsuk-form-group--error");
  }

  function acknowledged(clientMsgId) {
    const sent = outbox.get(clientMsgId);
    outbox.delete(clientMsgId);
    // Clear the composer only if it still holds what was sent (the member may have typed on).
    if (sent && body.value.trim() === sent.body) {
      body.value = "";
      sessionStorage.removeItem(draftKey);
      replyTo = null;
      $("live-reply-to").hidden = true;
    }
  }

  const draftKey = `live-draft-${root.dataset.sessionId}`;
  body.value = sessionStorage.getItem(draftKey) || "";
  body.addEventListener("input", () => sessionStorage.setItem(draftKey, body.value));

  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    clearError();
    const text = body.value.trim();
    if (!text) {
      showError({ detail: "Write a message before sending it." });
      return;
    }
    const frame = asQuestion.checked
      ? { type: "question.ask", body: text, anonymous: anonymous.checked, client_msg_id: newId() }
      : { type: "message.send", body: text, client_msg_id: newId(), reply_to: replyTo };
    outbox.set(frame.client_msg_id, frame);
    if (!send(frame)) setConnection("reconnecting", "Not connected: your message will be sent when the connection is back.");
  });

  $("live-reply-cancel").addEventListener("click", () => {
    replyTo = null;
    $("live-reply-to").hidden = true;
  });

  handButton.addEventListener("click", () => {
    send({ type: handButton.dataset.raised === "true" ? "hand.lower" : "hand.raise" });
  });

  root.querySelectorAll("[data-command]").forEach((button) => {
    button.addEventListener("click", () => {
      const type = button.dataset.command;
      if (type === "session.end" && !confirm("End the session for everyone?")) return;
      const frame = { type };
      if (type === "slow_mode.set") frame.seconds = Number($("live-slow").value) || 0;
      if (type === "prompt.pin") frame.prompt = $("live-prompt-input").value;
      send(frame);
    });
  });

  stream.querySelectorAll("[data-seq]").forEach(enhance);
  if (mutedUntil) setMuted(mutedUntil, muteBox.querySelector("[data-mute-detail]")?.textContent);
  connect();
}
