// The state every list page keeps: the rows so far, the next page's token,
// whether a page is loading, and what went wrong; "more" appends the next
// page, anything else starts again. Answers to an older load (a keystroke
// overtaken by the next) are dropped when they arrive late. A Lit reactive
// controller: the page re-renders as the state changes. Below it, the
// pieces of a list page's template the lists share.
import { type ReactiveController, type ReactiveControllerHost, html } from "lit";

import { problemOf } from "./api.js";
import { t } from "./i18n.js";

export interface Page<T> {
  items: T[];
  nextPageToken: string;
}

export class PagedList<T> implements ReactiveController {
  items: T[] = [];
  nextPageToken = "";
  loading = false;
  problem = "";
  private generation = 0;

  // `fetchPage` asks the server for the page at `pageToken` ("" for the first).
  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly fetchPage: (pageToken: string) => Promise<Page<T>>,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    void this.load(false);
  }

  async load(more: boolean): Promise<void> {
    const generation = ++this.generation;
    this.loading = true;
    this.problem = "";
    this.host.requestUpdate();
    try {
      const page = await this.fetchPage(more ? this.nextPageToken : "");
      if (generation !== this.generation) return;
      this.items = more ? [...this.items, ...page.items] : page.items;
      this.nextPageToken = page.nextPageToken;
    } catch (error) {
      if (generation === this.generation) this.problem = problemOf(error);
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.host.requestUpdate();
      }
    }
  }
}

// Under a list: "loading", or the text for no rows, and the button that
// loads the next page while there is one.
export function listFooter<T>(list: PagedList<T>, emptyText: string) {
  return html`
    <p aria-live="polite">${list.loading ? t("loading") : list.items.length === 0 ? emptyText : ""}</p>
    ${list.nextPageToken ? html`<button class="quiet" @click=${() => list.load(true)}>${t("more")}</button>` : ""}
  `;
}

// The "open only" checkbox above a list; `changed` gets the new value.
export function openOnlyToggle(checked: boolean, changed: (openOnly: boolean) => void) {
  return html`
    <label class="inline">
      <input
        type="checkbox"
        .checked=${checked}
        @change=${(event: Event) => changed((event.target as HTMLInputElement).checked)}
      />
      ${t("openOnly")}
    </label>
  `;
}
