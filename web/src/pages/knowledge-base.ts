// <karton-knowledge-base> and <karton-article-view>: the helpdesk's
// knowledge base (H5, docs/helpdesk.md) for colleagues: full-text search in
// Hungarian and English (inflected and accent-less forms found) with the
// matched words marked, the latest articles when nothing is searched, and
// an article's page with its paragraphs, version and tags, and the link to
// its public page (/kb/<slug>) when it is public. Internal articles show
// only to the roles that may read them; the server decides.
import { LitElement, css, html } from "lit";

import { client, problemOf } from "../api.js";
import {
  type Article,
  ArticleVisibility,
  KnowledgeBaseService,
} from "../gen/karton/helpdesk/v1/knowledge_base_service_pb.js";
import { formatDateTime, t } from "../i18n.js";
import { sharedStyles } from "../shared-styles.js";

const knowledgeBase = client(KnowledgeBaseService);

interface Found {
  article: Article;
  // The snippet as plain and marked pieces, in order.
  snippet: Array<{ text: string; marked: boolean }>;
}

const entities: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'" };

// The server's snippet is HTML-escaped text with the matched words in
// <mark>. It is taken apart here and drawn as text, so nothing in an
// article can ever become markup in the page, whatever the server sends.
export function snippetPieces(snippet: string): Array<{ text: string; marked: boolean }> {
  const decode = (text: string) => text.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => entities[entity] ?? entity);
  return snippet
    .split(/(<mark>.*?<\/mark>)/s)
    .filter((piece) => piece !== "")
    .map((piece) => {
      const marked = piece.startsWith("<mark>") && piece.endsWith("</mark>");
      return { text: decode(marked ? piece.slice(6, -7) : piece), marked };
    });
}

function visibilityBadge(article: Article) {
  return article.visibility === ArticleVisibility.PUBLIC
    ? html`<span class="badge public">${t("publicArticle")}</span>`
    : html`<span class="badge">${t("internalArticle")}</span>`;
}

export class KartonKnowledgeBase extends LitElement {
  static properties = {
    query: { state: true },
    language: { state: true },
    found: { state: true },
    searched: { state: true },
    problem: { state: true },
    loading: { state: true },
  };

  declare query: string;
  declare language: string;
  declare found: Found[];
  declare searched: boolean;
  declare problem: string;
  declare loading: boolean;

  constructor() {
    super();
    this.query = "";
    this.language = "";
    this.found = [];
    this.searched = false;
    this.problem = "";
    this.loading = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.search();
  }

  // A search when there is a query, else the latest articles.
  private async search(event?: SubmitEvent) {
    event?.preventDefault();
    this.problem = "";
    this.loading = true;
    const query = this.query.trim();
    try {
      if (query) {
        const answer = await knowledgeBase.searchArticles({ query, language: this.language, pageSize: 20 });
        this.found = answer.matches
          .filter((match) => match.article)
          .map((match) => ({ article: match.article!, snippet: snippetPieces(match.snippet) }));
      } else {
        const answer = await knowledgeBase.listArticles({ language: this.language, pageSize: 20 });
        this.found = answer.articles.map((article) => ({ article, snippet: [] }));
      }
      this.searched = query !== "";
    } catch (error) {
      this.found = [];
      this.problem = problemOf(error);
    } finally {
      this.loading = false;
    }
  }

  override render() {
    return html`
      <section>
        <h1>${t("knowledgeBase")}</h1>
        <form role="search" @submit=${this.search}>
          <div class="fields">
            <p class="query">
              <label for="query">${t("searchArticles")}</label>
              <input
                id="query"
                type="search"
                aria-describedby="query-hint"
                .value=${this.query}
                @input=${(event: Event) => (this.query = (event.target as HTMLInputElement).value)}
              />
              <small id="query-hint">${t("searchArticlesHint")}</small>
            </p>
            <p>
              <label for="language">${t("articleLanguage")}</label>
              <select
                id="language"
                @change=${(event: Event) => (this.language = (event.target as HTMLSelectElement).value)}
              >
                <option value="" ?selected=${this.language === ""}>${t("anyLanguage")}</option>
                <option value="hu" ?selected=${this.language === "hu"}>Magyar</option>
                <option value="en" ?selected=${this.language === "en"}>English</option>
              </select>
            </p>
          </div>
          <button type="submit">${t("search")}</button>
        </form>
        <p class="problem" role="alert">${this.problem}</p>
        <p aria-live="polite">${this.loading ? t("loading") : ""}</p>
      </section>
      <section aria-labelledby="found">
        <h2 id="found">${this.searched ? t("searchResults") : t("latestArticles")}</h2>
        ${this.found.length === 0 && !this.loading ? html`<p>${t("noArticles")}</p>` : ""}
        <ul class="articles">
          ${this.found.map(
            ({ article, snippet }) =>
              html`<li>
                <a href=${`#/kb/${article.id}`}>${article.title}</a>
                ${visibilityBadge(article)}
                <span class="muted">${article.language}</span>
                ${snippet.length > 0
                  ? html`<p class="snippet">
                      ${snippet.map((piece) => (piece.marked ? html`<mark>${piece.text}</mark>` : piece.text))}
                    </p>`
                  : ""}
              </li>`,
          )}
        </ul>
      </section>
    `;
  }

  static styles = [
    sharedStyles,
    css`
      .fields {
        display: flex;
        flex-wrap: wrap;
        gap: 0 1rem;
      }
      .fields p {
        flex: 1 1 10rem;
        margin: 0 0 0.75rem;
      }
      .fields p.query {
        flex: 3 1 18rem;
      }
      select {
        box-sizing: border-box;
        width: 100%;
        font: inherit;
        padding: 0.5rem;
      }
      small,
      .muted {
        color: var(--muted, #5b6577);
      }
      .articles {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      .articles li {
        padding: 0.6rem 0;
        border-bottom: 1px solid var(--line, #d8dde6);
      }
      .articles a {
        font-weight: 600;
        margin-right: 0.5rem;
      }
      .snippet {
        margin: 0.3rem 0 0;
      }
      .badge {
        font-size: 0.8rem;
        padding: 0.05rem 0.4rem;
        border-radius: 4px;
        border: 1px solid var(--line, #d8dde6);
        margin-right: 0.4rem;
      }
      .badge.public {
        border-color: #0b6e4f;
        color: #0b6e4f;
      }
    `,
  ];
}

export class KartonArticleView extends LitElement {
  static properties = {
    articleId: { attribute: false },
    article: { state: true },
    problem: { state: true },
  };

  declare articleId: bigint;
  declare article: Article | null;
  declare problem: string;

  constructor() {
    super();
    this.articleId = 0n;
    this.article = null;
    this.problem = "";
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has("articleId") && this.articleId > 0n) void this.load();
  }

  private async load() {
    this.problem = "";
    try {
      this.article = await knowledgeBase.getArticle({ id: this.articleId });
    } catch (error) {
      this.article = null;
      this.problem = problemOf(error);
    }
  }

  override render() {
    const article = this.article;
    return html`
      <p><a href="#/kb">${t("backToKnowledgeBase")}</a></p>
      <p class="problem" role="alert">${this.problem}</p>
      ${article
        ? html`<article>
            <h1>${article.title}</h1>
            <p class="meta">
              ${visibilityBadge(article)}
              <span>${article.language}</span>
              <span>
                ${t(
                  "articleVersion",
                  article.version,
                  article.updateTime ? formatDateTime(new Date(Number(article.updateTime.seconds) * 1000)) : "",
                )}
              </span>
              ${article.tags.map((tag) => html`<span class="tag">#${tag}</span>`)}
            </p>
            ${article.body
              .split(/\n\s*\n/)
              .filter((paragraph) => paragraph.trim() !== "")
              .map((paragraph) => html`<p class="paragraph">${paragraph}</p>`)}
            ${article.visibility === ArticleVisibility.PUBLIC
              ? html`<p><a href=${`/kb/${encodeURIComponent(article.slug)}`}>${t("publicLink")}</a></p>`
              : ""}
          </article>`
        : ""}
    `;
  }

  static styles = [
    sharedStyles,
    css`
      article {
        background: var(--surface, #fff);
        border: 1px solid var(--line, #d8dde6);
        border-radius: 8px;
        padding: 1rem;
      }
      .meta {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem 0.75rem;
        color: var(--muted, #5b6577);
      }
      .paragraph {
        white-space: pre-line;
        line-height: 1.5;
      }
      .badge {
        font-size: 0.8rem;
        padding: 0.05rem 0.4rem;
        border-radius: 4px;
        border: 1px solid var(--line, #d8dde6);
      }
      .badge.public {
        border-color: #0b6e4f;
        color: #0b6e4f;
      }
    `,
  ];
}

customElements.define("karton-knowledge-base", KartonKnowledgeBase);
customElements.define("karton-article-view", KartonArticleView);
