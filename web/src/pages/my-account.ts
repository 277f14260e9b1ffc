// <karton-my-account>: the signed-in person's own security: where they are
// signed in (each web session with its browser, address and times; any but
// this one can be ended), and a new password (which ends the other
// sessions, as the server does on SetPassword).
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { LitElement, css, html } from "lit";

import { type Session, client, problemOf } from "../api.js";
import { type ApiToken, ApiTokenKind, IdentityService } from "../gen/karton/kernel/v1/identity_service_pb.js";
import { formatDateTime, t } from "../i18n.js";
import { sharedStyles } from "../shared-styles.js";

const identity = client(IdentityService);

// "Firefox 140 (Linux)" from a User-Agent, enough to tell sessions apart.
function browserOf(userAgent: string): string {
  const browser = /(Edg|OPR|Firefox|Chrome|Chromium|Safari)\/(\d+)/.exec(userAgent);
  const system = /(Windows|Android|iPhone|iPad|Mac OS X|Linux)/.exec(userAgent);
  const name = browser ? `${browser[1] === "Edg" ? "Edge" : browser[1]} ${browser[2]}` : userAgent || "?";
  return system ? `${name} (${system[1]})` : name;
}

export class KartonMyAccount extends LitElement {
  static properties = {
    session: { attribute: false },
    sessions: { state: true },
    problem: { state: true },
    done: { state: true },
  };

  declare session: Session | null;
  declare sessions: ApiToken[];
  declare problem: string;
  declare done: string;

  constructor() {
    super();
    this.session = null;
    this.sessions = [];
    this.problem = "";
    this.done = "";
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load() {
    try {
      const answer = await identity.listApiTokens({ kind: ApiTokenKind.WEB_SESSION, pageSize: 100 });
      this.sessions = answer.apiTokens;
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  private async end(token: ApiToken) {
    this.problem = "";
    this.done = "";
    try {
      await identity.revokeApiToken({ id: token.id });
      this.done = t("sessionEnded");
      await this.load();
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  private async changePassword(event: SubmitEvent) {
    event.preventDefault();
    const formElement = event.target as HTMLFormElement;
    const form = new FormData(formElement);
    this.problem = "";
    this.done = "";
    if (form.get("new") !== form.get("again")) {
      this.problem = t("passwordsDiffer");
      return;
    }
    try {
      await identity.setPassword({
        currentPassword: String(form.get("current")),
        newPassword: String(form.get("new")),
      });
      formElement.reset();
      this.done = t("passwordChanged");
      await this.load();
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  override render() {
    const current = this.session?.sessionId ?? "";
    return html`
      <section aria-labelledby="sessions">
        <h1 id="sessions">${t("mySessions")}</h1>
        <p class="problem" role="alert">${this.problem}</p>
        <p role="status">${this.done}</p>
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">${t("browser")}</th>
                <th scope="col">${t("address")}</th>
                <th scope="col">${t("signedInAt")}</th>
                <th scope="col">${t("validUntil")}</th>
                <th scope="col"><span class="visually-hidden">${t("actions")}</span></th>
              </tr>
            </thead>
            <tbody>
              ${this.sessions.map(
                (token) => html`
                  <tr>
                    <td>${browserOf(token.userAgent)}</td>
                    <td>${token.clientAddress}</td>
                    <td>${token.createTime ? formatDateTime(timestampDate(token.createTime)) : ""}</td>
                    <td>${token.expireTime ? formatDateTime(timestampDate(token.expireTime)) : ""}</td>
                    <td>
                      ${String(token.id) === current
                        ? html`<strong>${t("thisSession")}</strong>`
                        : html`<button
                            class="quiet"
                            aria-label=${t("endSessionOf", browserOf(token.userAgent))}
                            @click=${() => this.end(token)}
                          >
                            ${t("endSession")}
                          </button>`}
                    </td>
                  </tr>
                `,
              )}
            </tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="password">
        <h2 id="password">${t("changePassword")}</h2>
        <form @submit=${this.changePassword}>
          <p>
            <label for="current-password">${t("currentPassword")}</label>
            <input id="current-password" name="current" type="password" autocomplete="current-password" required />
          </p>
          <p>
            <label for="new-password">${t("newPassword")}</label>
            <input
              id="new-password"
              name="new"
              type="password"
              autocomplete="new-password"
              minlength="10"
              required
              aria-describedby="password-hint"
            />
          </p>
          <p id="password-hint" class="hint">${t("passwordHint")}</p>
          <p>
            <label for="new-password-again">${t("newPasswordAgain")}</label>
            <input id="new-password-again" name="again" type="password" autocomplete="new-password" required />
          </p>
          <button type="submit">${t("savePassword")}</button>
        </form>
      </section>
    `;
  }

  static styles = [
    sharedStyles,
    css`
      .visually-hidden {
        position: absolute;
        width: 1px;
        height: 1px;
        overflow: hidden;
        clip: rect(0 0 0 0);
        white-space: nowrap;
      }
    `,
  ];
}

customElements.define("karton-my-account", KartonMyAccount);
