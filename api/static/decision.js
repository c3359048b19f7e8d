// The decision bar: acknowledge, confirm or "not a violation", for one incident or the ones picked;
// the same buttons and keys on the alerts page and on the daily review. A decision that would
// overturn an earlier one says so and needs a note before it is saved.
import { api, actionError } from "/static/api.js";
import { t, translatePage } from "/static/i18n.js";

const RANK = { operator: 0, supervisor: 1, admin: 2 };

export class DecisionBar {
  // slot: where the bar goes; ids: element ids to give its parts (tests and labels find them);
  // me(): the signed-in user; saved(events): called with the updated incidents
  constructor(slot, ids, { me, saved }) {
    this.root = document.querySelector("#decision-template").content.firstElementChild.cloneNode(true);
    slot.replaceChildren(this.root);
    this.part = {};
    for (const el of this.root.querySelectorAll("[data-part]")) this.part[el.dataset.part] = el;
    for (const [name, id] of Object.entries(ids)) if (this.part[name]) this.part[name].id = id;
    this.part.note.setAttribute("aria-label", t("review.note"));
    this.me = me;
    this.saved = saved;
    this.events = []; // what the bar decides on: one incident, or the picked ones
    this.bulk = false;
    this.pending = null; // "confirm" | "dismiss" while the form is open
    this.part.ack.addEventListener("click", () => this.acknowledge());
    this.part.confirm.addEventListener("click", () => this.start("confirm"));
    this.part.dismiss.addEventListener("click", () => this.start("dismiss"));
    this.part.cancel.addEventListener("click", () => this.cancel());
    this.part.form.addEventListener("submit", (e) => { e.preventDefault(); this.submit(); });
    this.part.form.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { e.preventDefault(); this.cancel(); }
    });
    this.render();
  }

  can(role) {
    const me = this.me();
    return Boolean(me) && RANK[me.role] >= RANK[role];
  }

  // show these incidents (bulk: the picked ones) and close any open form
  show(events, { bulk = false } = {}) {
    const same = this.events.length === events.length && this.events.every((e, i) => e.id === events[i].id);
    this.events = events;
    this.bulk = bulk;
    if (!same) this.cancel();
    else this.part.error.hidden = true;
    this.render();
  }

  render() {
    translatePage(this.root);
    this.root.setAttribute("aria-label", t("decision.region"));
    this.part.note.setAttribute("aria-label", t("review.note"));
    const p = this.part;
    const one = this.events.length === 1 && !this.bulk ? this.events[0] : null;
    this.root.hidden = !this.events.length;
    p.ack.textContent = t("action.ack");
    p.confirm.textContent = this.bulk ? t("action.confirm_selected", { n: this.events.length }) : t("action.confirm");
    p.dismiss.textContent = this.bulk ? t("action.dismiss_selected", { n: this.events.length }) : t("action.dismiss");
    p.ack.hidden = !one || Boolean(one.acknowledged_at) || one.status !== "unreviewed";
    p.confirm.hidden = p.dismiss.hidden = !this.can("supervisor");
    const target = this.root.querySelector(".decision-target");
    if (one) {
      const by = one.reviewed_by_name || one.reviewed_by;
      target.textContent = by ? t("decision.target_by", { id: one.id, status: t("status." + one.status), by })
        : t("decision.target", { id: one.id, status: t("status." + one.status) });
      target.dataset.status = one.status;
    } else {
      target.textContent = t("decision.bulk", { n: this.events.length });
      target.dataset.status = "";
    }
    if (this.pending) p.submit.textContent = t(this.pending === "confirm" ? "action.do_confirm" : "action.do_dismiss");
  }

  // the incidents whose earlier decision this one would overturn
  overturned(decision) {
    const to = decision === "confirm" ? "confirmed" : "dismissed";
    return this.events.filter((e) => e.status !== "unreviewed" && e.status !== to);
  }

  async acknowledge() {
    const one = this.events.length === 1 && !this.bulk ? this.events[0] : null;
    if (!one || one.acknowledged_at) return;
    try {
      this.saved([await api(`/api/events/${one.id}/ack`, { method: "POST" })]);
    } catch (e) {
      this.error(actionError(e));
    }
  }

  start(decision) {
    if (!this.can("supervisor") || !this.events.length) return;
    const p = this.part;
    this.pending = decision;
    p.form.hidden = false;
    p.form.dataset.decision = decision;
    p.error.hidden = true;
    p.reason.value = "";
    p.note.value = "";
    p["reason-label"].hidden = decision !== "dismiss";
    const changed = this.overturned(decision);
    p.warning.hidden = !changed.length;
    if (changed.length) {
      const one = changed[0];
      const by = one.reviewed_by_name || one.reviewed_by;
      p.warning.textContent = this.bulk
        ? t("decision.change_bulk", { m: changed.length, n: this.events.length })
        : t("decision.change", { status: t("status." + one.status), by: by ? ` (${by})` : "" });
    }
    this.render();
    (decision === "dismiss" ? p.reason : p.note).focus();
  }

  async submit() {
    const p = this.part;
    if (!this.pending || !this.events.length) return;
    const decision = this.pending;
    const reason = p.reason.value || null;
    const note = p.note.value.trim() || null;
    if (decision === "dismiss" && !reason) return this.error(t("review.need_reason"), p.reason);
    if (this.overturned(decision).length && !note) return this.error(t("decision.need_note"), p.note);
    const body = { decision, reason: decision === "dismiss" ? reason : null, note };
    p.submit.disabled = true;
    try {
      let updated;
      if (this.bulk) {
        updated = (await api("/api/events/review", { method: "POST", body: { ids: this.events.map((e) => e.id), ...body } })).items;
      } else {
        updated = [await api(`/api/events/${this.events[0].id}/review`, { method: "POST", body })];
      }
      this.cancel();
      this.saved(updated);
    } catch (e) {
      this.error(actionError(e));
    } finally {
      p.submit.disabled = false;
    }
  }

  error(text, focus) {
    this.part.error.textContent = text;
    this.part.error.hidden = false;
    focus?.focus();
  }

  cancel() {
    this.pending = null;
    this.part.form.hidden = true;
    this.part.error.hidden = true;
    this.part.warning.hidden = true;
  }

  get open() {
    return !this.part.form.hidden;
  }

  // the keys of both pages: A, C, D (Escape is handled in the form)
  onKey(key) {
    if (key === "a") this.acknowledge();
    else if (key === "c") this.start("confirm");
    else if (key === "d") this.start("dismiss");
    else return false;
    return true;
  }
}
