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
  const pane = $("live-stream-pane");
  const jump = $("live-jump");
  const composerStatus = $("live-composer-status");
  const polls = $("live-polls");
  const reports = $("live-reports");
  // Times as the programme reads them, whatever the member's own clock says.
  const LONDON = "Europe/London";
  const clock = new Intl.DateTimeFormat("en-GB", { timeZone: LONDON, hour: "2-digit", minute: "2-digit" });
  const longDate = new Intl.DateTimeFormat("en-GB", { timeZone: LONDON, dateStyle: "long", timeStyle: "short" });
  const dayOf = new Intl.DateTimeFormat("en-GB", { timeZone: LONDON, dateStyle: "short" });
  // client_msg_id -> where a refusal of that command belongs (beside the question, the poll…).
  const contexts = new Map();
  let connected = false;

  let lastSeq = Number(root.dataset.lastSeq) || 0;
  let backchannelLast = 0; // the backchannel's own order: never the room's seq
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
      // Breakout rooms (breakout.js) add their own room cursors.
      send({ type: "hello", after_seq: lastSeq, backchannel_after: backchannelLast, ...(root.liveHelloExtras?.() || {}) });
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
      connected = false;
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
      const sameDay = dayOf.format(mutedUntil) === dayOf.format(new Date());
      const time = (sameDay ? clock : longDate).format(mutedUntil);
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
    handButton.disabled = stopped || isMuted() || !["open", "live"].includes(session.status || "live");
    // Say why Send is off, beside it: the room's state, or the member's mute (shown above).
    let why = "";
    if (stopped) why = "You cannot send from this page now: see the message at the top.";
    else if (isMuted()) why = "You are muted, so Send is off until the mute ends.";
    else if (chatClosed) why = composer.dataset.hint || "";
    composerStatus.textContent = why;
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

  const STREAM = new Set(["message", "question", "message.removed", "state", "poll.open", "poll.close", "breakout.open", "breakout.close"]);

  function handle(frame) {
    if (STREAM.has(frame.type)) return onStream(frame);
    // A breakout room's flag acknowledgement or report (room_id set): breakout.js shows it.
    if (frame.room_id !== undefined && (frame.type === "flag.received" || frame.type === "report")) return tell("live:frame", frame);
    switch (frame.type) {
      case "welcome":
        applySession(frame.session);
        if (frame.you) setMuted(frame.you.muted ? new Date(frame.you.muted.until) : null, frame.you.muted?.detail);
        setPresent(frame.present || [], frame.count, frame.summary);
        setHands(frame.hands || []);
        connected = true;
        showConnected();
        for (const pending of outbox.values()) send(pending); // resend: stored once by id
        if (frame.last_seq < lastSeq) resync(frame.last_seq);
        tell("live:welcome", frame);
        break;
      case "resync":
        resync(frame.from_seq);
        break;
      case "ack":
        if (!tell("live:ack", frame)) break; // a breakout room's
        acknowledged(frame.client_msg_id);
        break;
      case "error":
        if (!tell("live:error", frame)) break; // a breakout command's, shown beside it
        refusal = frame;
        if (frame.code === "muted" && frame.until) setMuted(new Date(frame.until), frame.detail);
        if (!showInContext(frame)) showError(frame);
        break;
      case "flag.received":
        flagged(frame.seq);
        break;
      case "poll.results":
        setPollResults(frame);
        break;
      case "poll.voted":
        setMyVote(frame.poll_id, frame.option);
        break;
      case "report":
        addReport(frame);
        break;
      case "questions.waiting":
        setWaitingCount(frame.count);
        break;
      case "backchannel":
        addBackchannel(frame);
        break;
      case "question.held":
        addHeld(frame);
        break;
      case "question.waiting":
        addMineWaiting(frame);
        break;
      case "question.decided":
        decided(frame);
        break;
      case "presence":
        // Coalesced (at most one a second): the whole list, or in a large room the count
        // and the facilitators.
        if (Array.isArray(frame.present)) setPresent(frame.present, frame.count, frame.summary);
        else if (frame.action === "join") addPresent(frame.user);
        else if (frame.user) present.querySelector(`[data-user-id="${frame.user.id}"]`)?.remove();
        if (!Array.isArray(frame.present)) updatePresentCount();
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
        if (frame.type === "notice" && frame.detail) setConnection(connection.dataset.state === "stopped" ? "stopped" : "connected", frame.detail);
        break;
      default:
        if (frame.type.startsWith("breakout.")) tell("live:frame", frame);
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
      const atEnd = nearEnd();
      const item = renderEvent(frame);
      stream.append(item);
      enhance(item);
      showReveal(frame.seq);
      followOrOffer(atEnd);
    } else if (frame.type === "poll.open") {
      addPoll(frame);
    } else if (frame.type === "poll.close") {
      closePoll(frame.poll_id);
    } else if (frame.type === "message.removed") {
      markRemoved(frame.target_seq);
    } else if (frame.type === "state") {
      applySession(frame.session);
    } else if (frame.type === "breakout.open" || frame.type === "breakout.close") {
      // A notice in the main stream; breakout.js runs the rooms.
      if (!stream.querySelector(`[data-seq="${frame.seq}"]`)) {
        const atEnd = nearEnd();
        stream.append(renderNotice(frame));
        followOrOffer(atEnd);
      }
      tell("live:frame", frame);
    }
  }

  // Breakout rooms live in their own module (breakout.js): it hears frames as DOM events and
  // sends through the room's socket. A listener that handles a frame cancels the event.
  function tell(name, frame) {
    return root.dispatchEvent(new CustomEvent(name, { detail: frame, cancelable: true }));
  }
  root.liveSend = (frame) => send(frame);

  function renderNotice(frame) {
    const text =
      frame.type === "breakout.open"
        ? `The facilitator opened ${frame.rooms.length} breakout rooms until ${clock.format(new Date(frame.ends_at))}.`
        : frame.detail;
    return el(
      "li",
      { class: "forum-live-event forum-live-event--notice", id: `live-seq-${frame.seq}`, "data-seq": frame.seq, "data-kind": frame.type },
      el("p", { class: "forum-meta" }, el("strong", {}, text), " ", el("time", { datetime: new Date(frame.created).toISOString() }, clock.format(new Date(frame.created)))),
    );
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
    meta.append(el("time", { datetime: new Date(frame.created).toISOString() }, clock.format(new Date(frame.created))));
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
    if (item.classList.contains("forum-live-event--notice")) return;
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
          if (reason) command({ type: "flag", seq, reason }, { place: item });
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
    row.append(actionButton("Upvote", ` question ${seq}`, () => command({ type: "question.upvote", seq }, { place: entry })));
    if (isFacilitator) {
      row.append(actionButton("Spotlight", ` question ${seq}`, () => command({ type: "question.spotlight", seq }, { place: entry })));
    }
    entry.append(text, row, el("p", { class: "forum-live-note", role: "status" }));
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
    const hint = state.status === "ended" ? "The session has ended, so the chat is closed." : state.status !== "live" ? "The chat opens when the facilitator starts the session." : state.locked && !isFacilitator ? "The facilitator has locked the chat for now." : "";
    composer.dataset.hint = hint;
    updateControls();
    // Only the transitions the session can make now (scheduled: open; open: start; live: lock
    // or unlock, and end; ended: none).
    root.querySelectorAll("[data-when]").forEach((button) => {
      const [status, lock] = button.dataset.when.split(" ");
      button.hidden = !(state.status === status && (!lock || (lock === "locked") === Boolean(state.locked)));
    });
    const settings = $("live-settings");
    if (settings) settings.hidden = state.status === "ended";
    const panelStatus = $("live-panel-status");
    if (panelStatus) panelStatus.textContent = state.status === "ended" ? "The session has ended." : "";
    if (connected) showConnected();
    $("live-questions").querySelectorAll(".forum-live-question").forEach((entry) => {
      entry.classList.toggle("forum-live-question--spotlight", Number(entry.dataset.seq) === state.spotlight);
    });
  }

  // The connection line says what the member can do now: never "Connected" beside a closed
  // composer without saying why it is closed.
  function showConnected() {
    const hint = composer.dataset.hint;
    if (hint) setConnection("connected", hint);
    else if (session.slow_mode && !isFacilitator) setConnection("connected", `Connected. Slow mode is on: one message every ${session.slow_mode} seconds.`);
    else setConnection("connected", "Connected. New messages appear below as they are sent.");
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

  function setPresent(people, count, summary) {
    // Reconcile, not rebuild: a snapshot comes every second in a busy room, and a rebuilt
    // list would take the keyboard focus off the Mute or Remove button someone is on.
    const wanted = new Set(people.map((person) => String(person.id)));
    for (const item of [...present.children]) {
      if (!wanted.has(item.dataset.userId)) item.remove();
    }
    people.forEach(addPresent);
    $("live-present-summary").hidden = !summary;
    updatePresentCount(count);
  }

  function updatePresentCount(count) {
    $("live-present-count").textContent = String(count ?? present.children.length);
  }

  // The speaking queue: hands in the order raised, with how long each has waited.
  let handList = [];

  function waited(raisedAt) {
    const minutes = Math.floor((Date.now() - new Date(raisedAt).getTime()) / 60000);
    if (!(minutes >= 1)) return "waiting less than a minute";
    return `waiting ${minutes} minute${minutes === 1 ? "" : "s"}`;
  }

  function setHands(list) {
    handList = list;
    const focused = hands.contains(document.activeElement) ? document.activeElement.closest("li")?.dataset.userId : null;
    hands.replaceChildren();
    let mine = false;
    for (const hand of list) {
      if (hand.id === me) mine = true;
      const item = el("li", { "data-user-id": hand.id }, hand.display_name);
      if (hand.raised_at) {
        item.append(" ", el("span", { class: "forum-meta forum-live-waited", "data-raised-at": hand.raised_at }, `(${waited(hand.raised_at)})`));
      }
      if (isFacilitator) {
        item.tabIndex = -1;
        item.append(" ", actionButton("Lower", ` ${hand.display_name}'s hand`, () => send({ type: "hand.lower", user_id: hand.id })));
      }
      hands.append(item);
    }
    if (focused) (hands.querySelector(`[data-user-id="${focused}"]`) || hands.firstElementChild || hands).focus?.();
    handButton.textContent = mine ? "Lower hand" : "Raise hand";
    handButton.dataset.raised = mine ? "true" : "false";
  }

  setInterval(() => {
    hands.querySelectorAll("[data-raised-at]").forEach((span) => {
      span.textContent = `(${waited(span.dataset.raisedAt)})`;
    });
  }, 20000);

  if (isFacilitator) {
    hands.tabIndex = 0;
    hands.setAttribute("aria-describedby", "live-shortcuts");
    hands.addEventListener("keydown", (event) => {
      const items = [...hands.children];
      if (!items.length) return;
      const current = document.activeElement.closest ? document.activeElement.closest("#live-hands > li") : null;
      const index = current ? items.indexOf(current) : -1;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const next = event.key === "ArrowDown" ? Math.min(items.length - 1, index + 1) : Math.max(0, index - 1);
        items[next].focus();
      } else if ((event.key === "l" || event.key === "L") && !event.ctrlKey && !event.metaKey && !event.altKey) {
        const target = current || items[0];
        event.preventDefault();
        send({ type: "hand.lower", user_id: Number(target.dataset.userId) });
      }
    });
  }

  // -- the stream pane: follows new messages unless the member has scrolled up -------------

  function nearEnd() {
    return pane.scrollHeight - pane.scrollTop - pane.clientHeight < 48;
  }

  let unseen = 0;

  function followOrOffer(atEnd) {
    if (atEnd) {
      pane.scrollTop = pane.scrollHeight;
      return;
    }
    unseen += 1;
    jump.textContent = `Jump to latest (${unseen} new)`;
    jump.hidden = false;
  }

  pane.addEventListener("scroll", () => {
    if (nearEnd()) {
      unseen = 0;
      jump.hidden = true;
      jump.textContent = "Jump to latest";
    } else if (jump.hidden) {
      jump.hidden = false;
    }
  });

  jump.addEventListener("click", () => {
    pane.scrollTop = pane.scrollHeight;
    unseen = 0;
    jump.hidden = true;
    jump.textContent = "Jump to latest";
    body.focus();
  });

  // -- commands whose refusal belongs beside what they were about ----------------------------

  function command(frame, context) {
    frame.client_msg_id = frame.client_msg_id || newId();
    contexts.set(frame.client_msg_id, context);
    if (context.place) note(context.place, "");
    if (!send(frame)) {
      contexts.delete(frame.client_msg_id);
      if (context.place) note(context.place, "Not connected: try again when the connection is back.", true);
    }
    return frame.client_msg_id;
  }

  function note(place, text, isError = false) {
    let box = place.querySelector(":scope > .forum-live-note");
    if (!box) {
      box = el("p", { class: "forum-live-note", role: "status" });
      place.append(box);
    }
    box.classList.toggle("nhsuk-error-message", isError);
    box.replaceChildren(...(text ? [isError ? el("span", { class: "nhsuk-u-visually-hidden" }, "Error: ") : "", text] : []));
  }

  function showInContext(frame) {
    const context = frame.client_msg_id && contexts.get(frame.client_msg_id);
    if (!context) return false;
    contexts.delete(frame.client_msg_id);
    if (context.onError) context.onError(frame);
    else if (context.place) note(context.place, frame.detail, true);
    return true;
  }

  function flagged(seq) {
    const item = stream.querySelector(`[data-seq="${seq}"]`);
    if (item) note(item, "Thank you: you flagged this for the moderators, who will review it.");
  }

  // -- reports on messages (facilitators) ----------------------------------------------------

  function addReport(frame) {
    if (!reports || reports.querySelector(`[data-seq="${frame.target_seq}"]`)) return;
    const link = el("a", { href: `#live-seq-${frame.target_seq}` }, `Message ${frame.target_seq}`);
    const item = el("li", { "data-seq": frame.target_seq }, link, `: ${frame.reason}. `);
    item.append(
      actionButton("Remove", ` message ${frame.target_seq}`, () => {
        if (confirm("Remove this message for everyone?")) send({ type: "message.remove", seq: frame.target_seq });
      }),
    );
    reports.append(item);
    $("live-reports-count").textContent = String(reports.children.length);
  }

  // -- the backchannel (facilitators, moderators, staff) --------------------------------------

  const backchannel = $("live-backchannel");

  function addBackchannel(frame) {
    if (!backchannel || backchannel.querySelector(`[data-id="${frame.id}"]`)) return;
    backchannelLast = Math.max(backchannelLast, frame.id);
    const text = el("div", { class: "forum-post-body" });
    text.innerHTML = frame.body_html; // rendered and sanitized on the server
    const when = el("time", { datetime: frame.created }, clock.format(new Date(frame.created)));
    backchannel.append(el("li", { "data-id": frame.id }, el("p", { class: "forum-meta" }, frame.author ? frame.author.display_name : "Former member", " ", when), text));
  }

  const backchannelForm = $("live-backchannel-form");
  if (backchannelForm) {
    const input = $("live-backchannel-body");
    const error = $("live-backchannel-error");
    const showBackchannelError = (detail) => {
      error.hidden = !detail;
      error.replaceChildren(...(detail ? [el("span", { class: "nhsuk-u-visually-hidden" }, "Error: "), detail] : []));
      $("live-backchannel-group").classList.toggle("nhsuk-form-group--error", Boolean(detail));
    };
    backchannelForm.addEventListener("submit", (event) => {
      event.preventDefault();
      showBackchannelError("");
      const text = input.value.trim();
      if (!text) {
        showBackchannelError("Write a message before sending it.");
        return;
      }
      const id = command(
        { type: "backchannel.send", body: text },
        {
          onError: (frame) => showBackchannelError(frame.detail),
          onAck: () => {
            if (input.value.trim() === text) input.value = "";
          },
        },
      );
      if (!contexts.has(id)) showBackchannelError("Not connected: your message was not sent. Try again when the connection is back.");
    });
  }

  // -- held questions ("questions wait for approval") ----------------------------------------

  const held = $("live-held");
  const mineWaiting = $("live-mine-waiting");

  function setWaitingCount(count) {
    const line = $("live-waiting");
    line.hidden = false;
    line.textContent = count
      ? `${count} question${count === 1 ? "" : "s"} waiting for a facilitator's approval.`
      : "Questions wait for a facilitator's approval before everyone sees them.";
  }

  function addHeld(frame) {
    if (!held || held.querySelector(`[data-held-id="${frame.id}"]`)) return;
    $("live-held-section").hidden = false;
    const text = el("div", { class: "forum-post-body" });
    text.innerHTML = frame.body_html; // rendered and sanitized on the server
    const who = frame.author ? frame.author.display_name : "Anonymous question";
    const entry = el("li", { "data-held-id": frame.id, class: "forum-live-question" }, el("p", { class: "forum-meta" }, who), text);
    const row = el("p", { class: "forum-actions forum-meta" });
    row.append(
      actionButton("Approve", ` question from ${who}`, () => command({ type: "question.approve", id: frame.id }, { place: entry })),
      " ",
      actionButton("Merge", ` into another question`, () => {
        const choices = [...questions.children].map((q) => `${q.dataset.seq}: ${q.querySelector(".forum-post-body").textContent.trim().slice(0, 60)}`);
        if (!choices.length) {
          note(entry, "There is no question in the room to merge it into yet.", true);
          return;
        }
        const into = Number(prompt(`Merge into which question? Type its number:\n${choices.join("\n")}`));
        if (into > 0) command({ type: "question.merge", id: frame.id, into_seq: into }, { place: entry });
      }),
      " ",
      actionButton("Decline", ` question from ${who}`, () => {
        const reason = prompt("Why are you declining it? Only the member who asked is told.");
        if (reason !== null) command({ type: "question.decline", id: frame.id, reason }, { place: entry });
      }),
    );
    entry.append(row);
    held.append(entry);
  }

  function addMineWaiting(frame) {
    if (mineWaiting.querySelector(`[data-held-id="${frame.id}"]`)) return;
    const text = el("div", { class: "forum-post-body" });
    text.innerHTML = frame.body_html;
    mineWaiting.append(
      el("li", { "data-held-id": frame.id, class: "forum-live-question" }, el("p", { class: "forum-meta" }, el("strong", { class: "nhsuk-tag nhsuk-tag--yellow" }, "Waiting"), " Your question, waiting for a facilitator's approval"), text),
    );
  }

  function decided(frame) {
    held?.querySelector(`[data-held-id="${frame.id}"]`)?.remove();
    const mine = mineWaiting.querySelector(`[data-held-id="${frame.id}"]`);
    if (!mine) return;
    const tag = mine.querySelector(".nhsuk-tag");
    const line = mine.querySelector(".forum-meta");
    if (frame.status === "approved") {
      mine.remove();
      return;
    }
    tag.className = "nhsuk-tag nhsuk-tag--grey";
    tag.textContent = frame.status === "merged" ? "Merged" : "Declined";
    line.replaceChildren(
      tag,
      frame.status === "merged"
        ? ` A facilitator merged your question into message ${frame.question_seq}, with your upvote.`
        : ` A facilitator declined your question${frame.reason ? `: ${frame.reason}` : "."}`,
    );
    line.setAttribute("role", "status");
  }

  // -- polls ---------------------------------------------------------------------------------

  function addPoll(frame) {
    if (polls.querySelector(`[data-poll-id="${frame.poll_id}"]`)) return;
    $("live-polls-section").hidden = false;
    const item = el("li", { class: "nhsuk-card forum-live-poll", "data-poll-id": frame.poll_id });
    const content = el("div", { class: "nhsuk-card__content" });
    const legendId = `live-poll-${frame.poll_id}-q`;
    const fieldset = el("fieldset", { class: "nhsuk-fieldset", "aria-describedby": `live-poll-${frame.poll_id}-note` });
    fieldset.append(el("legend", { class: "nhsuk-fieldset__legend nhsuk-fieldset__legend--s", id: legendId }, frame.question));
    const radios = el("div", { class: "nhsuk-radios" });
    frame.options.forEach((option, index) => {
      const id = `live-poll-${frame.poll_id}-${index}`;
      const input = el("input", { class: "nhsuk-radios__input", id, name: `poll-${frame.poll_id}`, type: "radio", value: index });
      radios.append(el("div", { class: "nhsuk-radios__item" }, input, el("label", { class: "nhsuk-label nhsuk-radios__label", for: id }, option)));
    });
    fieldset.append(radios);
    const form = el("form", { class: "forum-live-poll-form", novalidate: "" }, fieldset);
    const vote = el("button", { type: "submit", class: "nhsuk-button nhsuk-button--small nhsuk-button--secondary" }, "Vote");
    form.append(vote);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const chosen = form.querySelector("input:checked");
      if (!chosen) {
        note(item, "Choose an option before voting.", true);
        return;
      }
      command({ type: "poll.vote", poll_id: frame.poll_id, option: Number(chosen.value) }, { place: item });
    });
    const results = el("div", { class: "forum-live-poll-results", "aria-live": "polite" });
    results.append(el("p", { class: "forum-meta" }, "Results show once 5 people have voted or the poll closes."));
    content.append(form, el("p", { class: "forum-meta", id: `live-poll-${frame.poll_id}-note` }, "Anonymous: nobody sees who chose what."), results);
    if (isFacilitator) {
      const close = el("button", { type: "button", class: "nhsuk-button nhsuk-button--small nhsuk-button--warning forum-live-poll-close" }, "Close poll");
      close.append(el("span", { class: "nhsuk-u-visually-hidden" }, `: ${frame.question}`));
      close.addEventListener("click", () => command({ type: "poll.close", poll_id: frame.poll_id }, { place: item }));
      content.append(close);
    }
    item.append(content);
    item.dataset.options = JSON.stringify(frame.options);
    polls.prepend(item);
  }

  function pollItem(pollId) {
    return polls.querySelector(`[data-poll-id="${pollId}"]`);
  }

  function closePoll(pollId) {
    const item = pollItem(pollId);
    if (!item) return;
    item.dataset.closed = "true";
    item.querySelectorAll("input, .forum-live-poll-form button").forEach((input) => {
      input.disabled = true;
    });
    item.querySelector(".forum-live-poll-close")?.remove();
    const legend = item.querySelector("legend");
    if (legend && !legend.querySelector(".nhsuk-tag")) legend.append(" ", el("strong", { class: "nhsuk-tag nhsuk-tag--grey" }, "Closed"));
  }

  function setPollResults(frame) {
    const item = pollItem(frame.poll_id);
    if (!item) return;
    if (frame.closed) closePoll(frame.poll_id);
    const options = JSON.parse(item.dataset.options || "[]");
    const box = item.querySelector(".forum-live-poll-results");
    const hiddenFromPeers = !frame.closed && frame.total < 5;
    const list = el("ul", { class: "nhsuk-list forum-live-bars" });
    options.forEach((option, index) => {
      const count = frame.counts[index] || 0;
      const percent = frame.total ? Math.round((100 * count) / frame.total) : 0;
      const bar = el("span", { class: "forum-live-bar", "aria-hidden": "true" });
      bar.style.width = `${percent}%`;
      list.append(el("li", {}, el("span", { class: "forum-live-bar-label" }, `${option}: ${count} vote${count === 1 ? "" : "s"} (${percent}%)`), bar));
    });
    const heading = el("p", { class: "forum-meta" }, `${frame.total} vote${frame.total === 1 ? "" : "s"}${frame.closed ? ", final results" : ""}.`);
    if (hiddenFromPeers) heading.append(" Only facilitators see these until 5 people have voted.");
    box.replaceChildren(heading, list);
  }

  function setMyVote(pollId, option) {
    const item = pollItem(pollId);
    if (!item) return;
    const input = item.querySelector(`input[value="${option}"]`);
    if (input) input.checked = true;
    const options = JSON.parse(item.dataset.options || "[]");
    const closed = item.dataset.closed === "true";
    note(item, `You chose “${options[option] ?? option}”.${closed ? "" : " You can change your vote until the poll closes."}`);
  }

  const pollForm = $("live-poll-form");
  if (pollForm) {
    const pollError = $("live-poll-error");
    const showPollError = (detail) => {
      pollError.hidden = !detail;
      pollError.replaceChildren(...(detail ? [el("span", { class: "nhsuk-u-visually-hidden" }, "Error: "), detail] : []));
      $("live-poll-group").classList.toggle("nhsuk-form-group--error", Boolean(detail));
    };
    pollForm.addEventListener("submit", (event) => {
      event.preventDefault();
      showPollError("");
      const question = $("live-poll-question").value.trim();
      const options = $("live-poll-options").value.split("\n").map((line) => line.trim()).filter(Boolean);
      const id = command(
        { type: "poll.open", question, options },
        {
          onError: (frame) => showPollError(frame.detail),
          onAck: () => {
            // Only once stored: a refused poll keeps what the facilitator typed.
            $("live-poll-question").value = "";
            $("live-poll-options").value = "";
          },
        },
      );
      if (!contexts.has(id)) showPollError("Not connected: the poll was not opened. Try again when the connection is back.");
    });
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
    const context = contexts.get(clientMsgId);
    if (context) {
      contexts.delete(clientMsgId);
      context.onAck?.();
      return;
    }
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

  body.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (!$("live-send").disabled) composer.requestSubmit();
    } else if (event.key === "Escape" && replyTo !== null) {
      event.preventDefault();
      $("live-reply-cancel").click();
    }
  });

  document.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    const key = event.key.toLowerCase();
    if (key === "m" || event.code === "KeyM") {
      event.preventDefault();
      body.focus();
    } else if (key === "h" || event.code === "KeyH") {
      event.preventDefault();
      if (!handButton.disabled) handButton.click();
    } else if (isFacilitator && (key === "q" || event.code === "KeyQ")) {
      event.preventDefault();
      (hands.firstElementChild || hands).focus();
    }
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
      const panelStatus = $("live-panel-status");
      command(frame, { onError: (error) => panelStatus && (panelStatus.textContent = error.detail) });
    });
  });

  stream.querySelectorAll("[data-seq]").forEach(enhance);
  pane.scrollTop = pane.scrollHeight; // start at the latest, as a chat does
  if (mutedUntil) setMuted(mutedUntil, muteBox.querySelector("[data-mute-detail]")?.textContent);
  connect();
}
