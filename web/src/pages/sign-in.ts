// <karton-sign-in>: email and password; fires "signed-in" with the session.
import { LitElement, html } from "lit";

import { SignInError, signIn } from "../api.js";
import { t } from "../i18n.js";
import { sharedStyles } from "../shared-styles.js";

export class KartonSignIn extends LitElement {
  static properties = { problem: { state: true }, busy: { state: true } };

  declare problem: string;
  declare busy: boolean;

  constructor() {
    super();
    this.problem = "";
    this.busy = false;
  }

  private async submit(event: SubmitEvent) {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    this.busy = true;
    this.problem = "";
    try {
      const session = await signIn(String(form.get("email")), String(form.get("password")));
      this.dispatchEvent(new CustomEvent("signed-in", { detail: session, bubbles: true, composed: true }));
    } catch (error) {
      if (error instanceof SignInError && error.status === 429) {
        this.problem = t("locked", error.retryAfterSeconds);
      } else if (error instanceof SignInError && error.status === 401) {
        this.problem = t("wrongCredentials");
      } else {
        this.problem = error instanceof Error ? error.message : String(error);
      }
    } finally {
      this.busy = false;
    }
  }

  override render() {
    return html`
      <section>
        <h1>${t("signInTitle")}</h1>
        <form @submit=${this.submit}>
          <p>
            <label for="email">${t("email")}</label>
            <input id="email" name="email" type="email" autocomplete="username" required />
          </p>
          <p>
            <label for="password">${t("password")}</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required />
          </p>
          <p class="problem" role="alert">${this.problem}</p>
          <button type="submit" ?disabled=${this.busy}>${t("signIn")}</button>
        </form>
      </section>
    `;
  }

  static styles = [sharedStyles];
}

customElements.define("karton-sign-in", KartonSignIn);
