// <karton-calendar>: the user's (or a team's) activities by week or day,
// Monday first, in Budapest's time. Plan a call, meeting or task; mark one
// done; get the feed link to subscribe to in Outlook or Google Calendar.
import { create } from "@bufbuild/protobuf";
import { DurationSchema, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { LitElement, css, html } from "lit";

import { client, problemOf } from "../api.js";
import { type Activity, ActivitySchema, ActivityStatus, ActivityType } from "../gen/karton/crm/v1/activity_pb.js";
import { ActivityService } from "../gen/karton/crm/v1/activity_service_pb.js";
import type { Team } from "../gen/karton/kernel/v1/identity_service_pb.js";
import { IdentityService } from "../gen/karton/kernel/v1/identity_service_pb.js";
import { type TextKey, t } from "../i18n.js";
import { sharedStyles } from "../shared-styles.js";

const activities = client(ActivityService);
const identity = client(IdentityService);

const DAY = 86_400_000;

// Midnight (local) of the Monday of `date`'s week.
function mondayOf(date: Date): Date {
  const monday = new Date(date.getFullYear(), date.getMonth(), date.getDate());
  monday.setDate(monday.getDate() - ((monday.getDay() + 6) % 7));
  return monday;
}

function whenOf(activity: Activity): Date | null {
  const stamp = activity.startTime ?? activity.dueTime;
  return stamp ? timestampDate(stamp) : null;
}

const typeText: Record<number, TextKey> = {
  [ActivityType.CALL]: "typeCall",
  [ActivityType.MEETING]: "typeMeeting",
  [ActivityType.TASK]: "typeTask",
  [ActivityType.EMAIL]: "typeEmail",
};

export class KartonCalendar extends LitElement {
  static properties = {
    view: { state: true },
    from: { state: true },
    teamId: { state: true },
    teams: { state: true },
    items: { state: true },
    problem: { state: true },
    feedUrl: { state: true },
  };

  declare view: "week" | "day";
  declare from: Date;
  declare teamId: bigint;
  declare teams: Team[];
  declare items: Activity[];
  declare problem: string;
  declare feedUrl: string;

  constructor() {
    super();
    this.view = "week";
    this.from = mondayOf(new Date());
    this.teamId = 0n;
    this.teams = [];
    this.items = [];
    this.problem = "";
    this.feedUrl = "";
  }

  override connectedCallback(): void {
    super.connectedCallback();
    identity
      .listTeams({ pageSize: 100 })
      .then((answer) => (this.teams = answer.teams))
      .catch(() => (this.teams = []));
    void this.load();
  }

  private days(): Date[] {
    const count = this.view === "week" ? 7 : 1;
    return Array.from({ length: count }, (_, index) => new Date(this.from.getTime() + index * DAY));
  }

  private async load() {
    this.problem = "";
    const days = this.days();
    const end = new Date(days[days.length - 1].getTime() + DAY);
    try {
      const answer = await activities.listCalendar({
        teamId: this.teamId,
        startTime: timestampFromDate(this.from),
        endTime: timestampFromDate(end),
      });
      this.items = answer.activities;
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  private move(steps: number) {
    const length = this.view === "week" ? 7 : 1;
    this.from = new Date(this.from.getTime() + steps * length * DAY);
    void this.load();
  }

  private today() {
    this.from = this.view === "week" ? mondayOf(new Date()) : new Date(new Date().setHours(0, 0, 0, 0));
    void this.load();
  }

  private setView(view: "week" | "day") {
    this.view = view;
    this.today();
  }

  private async plan(event: SubmitEvent) {
    event.preventDefault();
    const formElement = event.target as HTMLFormElement;
    const form = new FormData(formElement);
    const type = Number(form.get("type")) as ActivityType;
    const at = new Date(`${String(form.get("date"))}T${String(form.get("time"))}:00`);
    const activity = create(ActivitySchema, { type, subject: String(form.get("subject")) });
    if (type === ActivityType.TASK) {
      activity.dueTime = timestampFromDate(at);
    } else {
      activity.startTime = timestampFromDate(at);
      activity.duration = create(DurationSchema, { seconds: BigInt(Number(form.get("minutes")) * 60) });
    }
    if (this.teamId > 0n) activity.teamId = this.teamId;
    this.problem = "";
    try {
      await activities.createActivity({ activity });
      formElement.reset();
      await this.load();
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  private async complete(activity: Activity) {
    this.problem = "";
    try {
      await activities.completeActivity({ id: activity.id, etag: activity.etag });
      await this.load();
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  private async newFeedLink() {
    this.problem = "";
    try {
      const feed = await activities.rotateCalendarFeed({ teamId: this.teamId });
      this.feedUrl = feed.url;
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  private dayColumn(day: Date) {
    const next = day.getTime() + DAY;
    const onDay = this.items
      .filter((item) => {
        const when = whenOf(item);
        return when !== null && when.getTime() >= day.getTime() && when.getTime() < next;
      })
      .sort((a, b) => whenOf(a)!.getTime() - whenOf(b)!.getTime());
    const title = new Intl.DateTimeFormat("hu-HU", { weekday: "long", month: "short", day: "numeric" }).format(day);
    const time = new Intl.DateTimeFormat("hu-HU", { hour: "2-digit", minute: "2-digit" });
    return html`
      <section class="day" aria-label=${title}>
        <h2>${title}</h2>
        <ul>
          ${onDay.map(
            (item) => html`
              <li class="activity ${item.status === ActivityStatus.DONE ? "done" : ""}" aria-label=${item.subject}>
                <time>${time.format(whenOf(item)!)}</time>
                <span class="type">${typeText[item.type] ? t(typeText[item.type]) : ""}</span>
                <strong>${item.subject}</strong>
                ${item.status === ActivityStatus.PLANNED
                  ? html`<button class="quiet" @click=${() => this.complete(item)}>${t("markDone")}</button>`
                  : html`<span class="type">${t(item.status === ActivityStatus.DONE ? "done" : "canceled")}</span>`}
              </li>
            `,
          )}
        </ul>
      </section>
    `;
  }

  override render() {
    const today = new Date();
    const date = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, "0")}-${String(today.getDate()).padStart(2, "0")}`;
    return html`
      <h1>${t("calendar")}</h1>
      <div class="toolbar">
        <label>
          ${t("whose")}
          <select
            @change=${(event: Event) => {
              this.teamId = BigInt((event.target as HTMLSelectElement).value);
              void this.load();
            }}
          >
            <option value="0">${t("mine")}</option>
            ${this.teams.map((team) => html`<option value=${String(team.id)}>${team.name}</option>`)}
          </select>
        </label>
        <button class="quiet" @click=${() => this.move(-1)}>${t("previous")}</button>
        <button class="quiet" @click=${() => this.today()}>${t("today")}</button>
        <button class="quiet" @click=${() => this.move(1)}>${t("next")}</button>
        <button class="quiet" aria-pressed=${this.view === "week"} @click=${() => this.setView("week")}>${t("week")}</button>
        <button class="quiet" aria-pressed=${this.view === "day"} @click=${() => this.setView("day")}>${t("day")}</button>
      </div>
      <p class="problem" role="alert">${this.problem}</p>
      <div class="days ${this.view}">${this.days().map((day) => this.dayColumn(day))}</div>
      <section aria-labelledby="plan-title">
        <h2 id="plan-title">${t("planActivity")}</h2>
        <form class="plan" @submit=${this.plan}>
          <p>
            <label for="type">${t("activityType")}</label>
            <select id="type" name="type">
              <option value=${ActivityType.CALL}>${t("typeCall")}</option>
              <option value=${ActivityType.MEETING}>${t("typeMeeting")}</option>
              <option value=${ActivityType.TASK}>${t("typeTask")}</option>
            </select>
          </p>
          <p>
            <label for="subject">${t("subject")}</label>
            <input id="subject" name="subject" required maxlength="200" />
          </p>
          <p>
            <label for="date">${t("date")}</label>
            <input id="date" name="date" type="date" required .value=${date} />
          </p>
          <p>
            <label for="time">${t("time")}</label>
            <input id="time" name="time" type="time" required value="10:00" />
          </p>
          <p>
            <label for="minutes">${t("minutes")}</label>
            <input id="minutes" name="minutes" type="number" min="5" max="1440" value="30" />
          </p>
          <p><button type="submit">${t("plan")}</button></p>
        </form>
      </section>
      <section aria-labelledby="feed-title">
        <h2 id="feed-title">${t("feed")}</h2>
        <p>${t("feedWhy")}</p>
        ${this.feedUrl
          ? html`<p><label for="feed-url">${t("feedUrl")}</label><input id="feed-url" readonly .value=${this.feedUrl} /></p>`
          : ""}
        <button class="quiet" @click=${this.newFeedLink}>${t("newFeedLink")}</button>
      </section>
    `;
  }

  static styles = [
    sharedStyles,
    css`
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: center;
        margin-bottom: 0.75rem;
      }
      select {
        font: inherit;
        padding: 0.3rem;
      }
      button[aria-pressed="true"] {
        background: var(--accent, #1f5fbf);
        color: #fff;
      }
      .days.week {
        display: grid;
        grid-template-columns: repeat(7, minmax(9rem, 1fr));
        gap: 0.5rem;
        overflow-x: auto;
      }
      .day {
        margin: 0;
        padding: 0.6rem;
        min-height: 8rem;
      }
      .day h2 {
        font-size: 0.95rem;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      .activity {
        display: grid;
        gap: 0.1rem;
        padding: 0.4rem 0;
        border-bottom: 1px solid var(--line, #d8dde6);
      }
      .activity.done strong {
        text-decoration: line-through;
      }
      .type,
      time {
        color: var(--muted, #5b6577);
        font-size: 0.85rem;
      }
      .plan {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr));
        gap: 0 1rem;
        align-items: end;
      }
      @media (max-width: 600px) {
        .days.week {
          grid-template-columns: 1fr;
        }
      }
    `,
  ];
}

customElements.define("karton-calendar", KartonCalendar);
