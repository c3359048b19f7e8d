// An audited action in words ("Xác nhận vi phạm (Báo sai)"), never its code.
import { t } from "/static/i18n.js";

export function renderTimelineLabel(a) {
  const key = "tl." + a.action;
  const label = t(key);
  const reason = a.after?.review_reason ? ` (${t("reason." + a.after.review_reason)})` : "";
  return (label === key ? a.action.replace(/[._]/g, " ") : label) + reason;
}
