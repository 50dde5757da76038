// Breakout rooms in the live room (docs/architecture.md "Breakout rooms"). live.js owns the
// socket: it passes breakout frames here as DOM events on #live-room (cancelled when handled
// here), sends through root.liveSend, and adds this module's room cursor to every hello, so a
// member who reconnects gets their room's messages after the last one shown, in order.

const root = document.getElementById("live-room");
if (root && document.getElementById("breakout-room")) start(root);

function start(root) {
  const $ = (id) => document.getElementById(id);
  const isFacilitator = root.dataset.facilitator === "true";
  const section = $("breakout-room");
  const stream = $("breakout-stream");
  const pane = $("breakout-pane");
  const body = $("breakout-body");
  const bodyError = $("breakout-body-error");
  const status = $("breakout-status");
  const LONDON = "Europe/London";
  const clock = new Intl.DateTimeFormat("en-GB", { timeZone: LONDON, hour: "2-digit", minute: "2-digit" });

  let room = null; // {id, name, endsAt, visiting}
  let cursor = 0; // the highest seq of the room shown
  let roundEndsAt = null; // facilitators: the open round's end
  const pending = new Map(); // client_msg_id -> {frame, onAck, onError}

  root.liveHelloExtras = () => (room && !room.visiting ? { breakout_after: { [room.id]: cursor } } : {});

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    }
    node.append(...children);
    return node;
  }

  function newId() {
    return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
  }

  function command(frame, handlers = {}) {
    frame.client_msg_id = frame.client_msg_id || newId();
    pending.set(frame.client_msg_id, { frame, ...handlers });
    if (!root.liveSend?.(frame)) {
      if (!handlers.keep) pending.delete(frame.client_msg_id);
      handlers.onError?.({ detail: "Not connected: try again when the connection is back." });
    }
  }

  // -- time left ---------------------------------------------------------------------------

  function left(endsAt) {
    const seconds = Math.max(0, Math.round((endsAt - new Date()) / 1000));
    if (seconds === 0) return "Time is up: everyone goes back to the main room now.";
    const m = Math.floor(seconds / 60);
    const s = String(seconds % 60).padStart(2, "0");
    return `${m}:${s} left (until ${clock.format(endsAt)}).`;
  }

  setInterval(() => {
    if (room) $("breakout-time").textContent = left(room.endsAt);
    if (roundEndsAt && $("breakout-console-time")) $("breakout-console-time").textContent = left(roundEndsAt);
  }, 1000);

  // -- the room ----------------------------------------------------------------------------

  function enter(frame, visiting) {
    const changed = !room || room.id !== frame.room_id;
    room = { id: frame.room_id, name: frame.name, endsAt: new Date(frame.ends_at), visiting };
    if (changed) {
      stream.replaceChildren();
      cursor = 0;
      $("breakout-hands").replaceChildren();
    }
    $("breakout-room-title").textContent = visiting ? `Visiting ${frame.name}` : `You are in breakout ${frame.name.toLowerCase()}`;
    $("breakout-members").textContent = `In this room: ${frame.members.map((m) => m.display_name).join(", ") || "nobody yet"}.`;
    $("breakout-time").textContent = left(room.endsAt);
    section.hidden = false;
    if (changed && !visiting) status.textContent = `You are in ${frame.name}. The main room carries on; you will be brought back when time is up.`;
  }

  function leave() {
    room = null;
    cursor = 0;
    section.hidden = true;
    stream.replaceChildren();
    $("breakout-hands").replaceChildren();
    status.textContent = "";
  }

  function addMessage(frame) {
    if (!room || frame.room_id !== room.id) return;
    if (stream.querySelector(`[data-seq="${frame.seq}"]`)) return;
    const atEnd = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 48;
    const content = el("div", { class: "forum-post-body" });
    if (frame.removed) content.append(el("p", {}, el("em", {}, "This message was removed.")));
    // body_html was rendered and sanitized on the server (community.rendering), once.
    else content.innerHTML = frame.body_html;
    const item = el(
      "li",
      { class: "forum-live-event forum-live-event--message", "data-seq": frame.seq },
      el("p", { class: "forum-meta" }, el("span", { class: "forum-live-author" }, frame.author ? frame.author.display_name : "A member"), " ", el("time", { datetime: new Date(frame.created).toISOString() }, clock.format(new Date(frame.created)))),
      content,
    );
    if (!frame.removed) addActions(item, frame);
    // In seq order, whatever order they came in.
    const after = [...stream.children].find((li) => Number(li.dataset.seq) > frame.seq);
    stream.insertBefore(item, after || null);
    cursor = Math.max(cursor, frame.seq);
    if (atEnd) pane.scrollTop = pane.scrollHeight;
  }

  // -- moderation: the main room's Flag and Remove, on each message of the room --------------

  function actionButton(label, hidden, onClick) {
    const button = el("button", { type: "button", class: "forum-link-button" }, label);
    if (hidden) button.append(el("span", { class: "nhsuk-u-visually-hidden" }, hidden));
    button.addEventListener("click", onClick);
    return button;
  }

  function note(item, text, isError = false) {
    let box = item.querySelector(":scope > .forum-live-note");
    if (!box) {
      box = el("p", { class: "forum-live-note", role: "status" });
      item.append(box);
    }
    box.classList.toggle("nhsuk-error-message", isError);
    box.textContent = text;
  }

  function addActions(item, frame) {
    const seq = frame.seq;
    const roomId = frame.room_id;
    const actions = el("p", { class: "forum-actions forum-meta" });
    if (!frame.author || frame.author.id !== Number(root.dataset.userId)) {
      actions.append(
        actionButton("Flag", ` message ${seq} of this room for moderators`, () => {
          // The guidelines' reasons (moderation.models.FlagReason), as in the main room.
          const reasons = ["racist", "personal_attack", "confidentiality", "spam", "other"];
          const answer = prompt(
            "Why are you reporting this message? Type a number, or say why in your own words.\n" +
              "1 Racism, discrimination or a microaggression\n2 Personal attack\n" +
              "3 Breach of confidentiality\n4 Spam\n5 Other\n" +
              "The member is not told who reported it.",
          );
          const text = (answer || "").trim();
          const reason = reasons[Number(text) - 1] || text;
          if (reason) command({ type: "breakout.flag", room_id: roomId, seq, reason }, { onError: (e) => note(item, e.detail, true) });
        }),
      );
    }
    if (isFacilitator) {
      actions.append(
        actionButton("Remove", ` message ${seq} of this room`, () => {
          if (confirm("Remove this message for everyone in the room?")) {
            command({ type: "breakout.message.remove", room_id: roomId, seq }, { onError: (e) => note(item, e.detail, true) });
          }
        }),
      );
    }
    if (actions.children.length) item.append(actions);
  }

  function removed(frame) {
    if (!room || frame.room_id !== room.id) return;
    const item = stream.querySelector(`[data-seq="${frame.target_seq}"]`);
    if (!item) return;
    item.querySelector(".forum-post-body")?.replaceChildren(el("p", {}, el("em", {}, "This message was removed.")));
    item.querySelector(".forum-live-author")?.replaceChildren("A member");
    item.querySelector(".forum-actions")?.remove();
  }

  function flagged(frame) {
    const item = room && frame.room_id === room.id && stream.querySelector(`[data-seq="${frame.seq}"]`);
    if (item) note(item, "Thank you: you flagged this for the moderators, who will review it.");
  }

  function reported(frame) {
    // Facilitators: a breakout message was reported (what and where, never who reported it).
    const calls = $("breakout-calls");
    if (!calls) return;
    // A reconnect's hello sends the open reports again: one line per message.
    if (calls.querySelector(`[data-report-room-id="${frame.room_id}"][data-report-seq="${frame.target_seq}"]`)) return;
    const button = el("button", { type: "button", class: "nhsuk-button nhsuk-button--secondary nhsuk-button--small" }, "Visit the room");
    button.addEventListener("click", () => visit(frame.room_id));
    calls.append(el("p", { class: "nhsuk-inset-text nhsuk-u-margin-top-0", "data-report-room-id": frame.room_id, "data-report-seq": frame.target_seq }, el("strong", {}, `Message ${frame.target_seq} in a breakout room was reported`), ` (${frame.reason}). `, button));
  }

  function setHands(frame) {
    if (!room || frame.room_id !== room.id) return;
    $("breakout-hands").replaceChildren(...frame.hands.map((h) => el("li", { "data-user-id": h.id }, h.display_name)));
    const hand = $("breakout-hand");
    if (hand) {
      const me = Number(root.dataset.userId);
      const raised = frame.hands.some((h) => h.id === me);
      hand.dataset.raised = String(raised);
      hand.textContent = raised ? "Lower hand in the room" : "Raise hand in the room";
    }
  }

  function showError(detail) {
    bodyError.hidden = !detail;
    bodyError.replaceChildren(...(detail ? [el("span", { class: "nhsuk-u-visually-hidden" }, "Error: "), detail] : []));
    $("breakout-composer-group").classList.toggle("nhsuk-form-group--error", Boolean(detail));
  }

  $("breakout-composer").addEventListener("submit", (event) => {
    event.preventDefault();
    showError("");
    const text = body.value.trim();
    if (!text || !room) {
      showError("Write a message before sending it.");
      return;
    }
    const frame = { type: "breakout.send", body: text };
    if (room.visiting) frame.room_id = room.id;
    command(frame, {
      keep: true, // resent after a reconnect: stored once by its client_msg_id
      onAck: () => {
        if (body.value.trim() === text) body.value = "";
      },
      onError: (error) => showError(error.detail),
    });
  });

  body.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      $("breakout-composer").requestSubmit();
    }
  });

  $("breakout-call")?.addEventListener("click", () => {
    status.textContent = "Calling the facilitator…";
    command({ type: "breakout.call" }, { onError: (error) => (status.textContent = error.detail) });
  });

  $("breakout-hand")?.addEventListener("click", (event) => {
    const type = event.currentTarget.dataset.raised === "true" ? "breakout.hand.lower" : "breakout.hand.raise";
    command({ type }, { onError: (error) => (status.textContent = error.detail) });
  });

  // -- the facilitator's console ------------------------------------------------------------

  const form = $("breakout-form");
  const formError = $("breakout-form-error");

  function formProblem(detail) {
    formError.hidden = !detail;
    formError.replaceChildren(...(detail ? [el("span", { class: "nhsuk-u-visually-hidden" }, "Error: "), detail] : []));
    $("breakout-form-group").classList.toggle("nhsuk-form-group--error", Boolean(detail));
  }

  function buildChoices() {
    const list = $("breakout-choice-list");
    const count = Math.min(20, Math.max(2, Number($("breakout-count").value) || 2));
    const me = root.dataset.userId;
    const previous = new Map([...list.querySelectorAll("select")].map((s) => [s.dataset.userId, s.value]));
    list.replaceChildren();
    for (const person of document.querySelectorAll("#live-present [data-user-id]")) {
      const id = person.dataset.userId;
      if (id === me) continue;
      const select = el("select", { class: "nhsuk-select", id: `breakout-choice-${id}`, "data-user-id": id }, el("option", { value: "" }, "Main room"));
      for (let n = 1; n <= count; n += 1) select.append(el("option", { value: String(n) }, `Room ${n}`));
      select.value = previous.get(id) && Number(previous.get(id)) <= count ? previous.get(id) : "";
      list.append(el("li", { class: "nhsuk-form-group nhsuk-u-margin-bottom-2" }, el("label", { class: "nhsuk-label", for: select.id }, person.textContent), select));
    }
    if (!list.children.length) list.append(el("li", {}, "Nobody else is here yet."));
  }

  if (form) {
    const choose = $("breakout-choose");
    const toggle = () => {
      $("breakout-choices").hidden = !choose.checked;
      if (choose.checked) buildChoices();
    };
    choose.addEventListener("change", toggle);
    $("breakout-random").addEventListener("change", toggle);
    $("breakout-count").addEventListener("change", () => choose.checked && buildChoices());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      formProblem("");
      const count = Number($("breakout-count").value);
      const minutes = Number($("breakout-minutes").value);
      let rooms = count;
      if (choose.checked) {
        rooms = Array.from({ length: count }, () => []);
        for (const select of $("breakout-choice-list").querySelectorAll("select")) {
          if (select.value) rooms[Number(select.value) - 1].push(Number(select.dataset.userId));
        }
        if (rooms.some((r) => r.length === 0)) {
          formProblem("Put at least one participant in each room.");
          return;
        }
      }
      command({ type: "breakout.open", rooms, duration_minutes: minutes }, { onError: (error) => formProblem(error.detail) });
    });
    $("breakout-close").addEventListener("click", () => {
      if (!confirm("Close the breakout rooms and bring everyone back now?")) return;
      command({ type: "breakout.close" }, { onError: (error) => ($("breakout-console-status").textContent = error.detail) });
    });
  }

  function visit(roomId) {
    command({ type: "breakout.visit", room_id: roomId, after_seq: room && room.id === roomId ? cursor : 0 }, {
      onError: (error) => ($("breakout-console-status").textContent = error.detail),
    });
  }

  function setRooms(frame) {
    if (!form) return;
    const open = frame.rooms.length > 0;
    roundEndsAt = open ? new Date(frame.ends_at) : null;
    form.hidden = open;
    $("breakout-running").hidden = !open;
    if (open) $("breakout-console-time").textContent = left(roundEndsAt);
    const list = $("breakout-rooms");
    list.replaceChildren(
      ...frame.rooms.map((r) => {
        const item = el("li", { "data-room-id": r.id, class: "nhsuk-u-margin-bottom-2" }, el("strong", {}, r.name), `: ${r.members.map((m) => m.display_name).join(", ") || "nobody"}. `);
        if (r.called_at) item.append(el("strong", { class: "nhsuk-tag nhsuk-tag--orange" }, "Calling for a facilitator"), " ");
        const button = el("button", { type: "button", class: "nhsuk-button nhsuk-button--small nhsuk-button--secondary nhsuk-u-margin-bottom-0" }, `Visit ${r.name}`);
        button.addEventListener("click", () => visit(r.id));
        item.append(button);
        return item;
      }),
    );
    if (!open) $("breakout-calls").replaceChildren();
  }

  function called(frame) {
    const calls = $("breakout-calls");
    if (!calls) return;
    calls.querySelector(`[data-room-id="${frame.room_id}"]`)?.remove();
    const button = el("button", { type: "button", class: "forum-link-button" }, `Visit ${frame.name}`);
    button.addEventListener("click", () => visit(frame.room_id));
    calls.append(el("p", { class: "nhsuk-inset-text nhsuk-u-margin-top-0", "data-room-id": frame.room_id }, el("strong", {}, `${frame.name} is calling for a facilitator`), ` (${clock.format(new Date(frame.created))}). `, button));
  }

  // -- frames from live.js ------------------------------------------------------------------

  root.addEventListener("live:frame", (event) => {
    const frame = event.detail;
    switch (frame.type) {
      case "breakout.assigned":
        enter(frame, false);
        break;
      case "breakout.visiting":
        enter(frame, true);
        $("breakout-calls")?.querySelector(`[data-room-id="${frame.room_id}"]`)?.remove();
        break;
      case "breakout.message":
        addMessage(frame);
        break;
      case "breakout.removed":
        removed(frame);
        break;
      case "flag.received":
        flagged(frame);
        break;
      case "report":
        reported(frame);
        break;
      case "breakout.hands":
        setHands(frame);
        break;
      case "breakout.call.sent":
        status.textContent = frame.detail;
        break;
      case "breakout.rooms":
        setRooms(frame);
        break;
      case "breakout.called":
        called(frame);
        break;
      case "breakout.close":
        leave();
        break;
    }
    event.preventDefault();
  });

  root.addEventListener("live:welcome", () => {
    // A visitor goes back into the room they were in, from where they were.
    if (room && room.visiting) visit(room.id);
    for (const { frame } of pending.values()) if (frame.type === "breakout.send") root.liveSend?.(frame);
  });

  root.addEventListener("live:ack", (event) => {
    const handlers = pending.get(event.detail.client_msg_id);
    if (!handlers) return;
    pending.delete(event.detail.client_msg_id);
    handlers.onAck?.(event.detail);
    event.preventDefault();
  });

  root.addEventListener("live:error", (event) => {
    const handlers = pending.get(event.detail.client_msg_id);
    if (!handlers) return;
    pending.delete(event.detail.client_msg_id);
    handlers.onError?.(event.detail);
    event.preventDefault();
  });
}
