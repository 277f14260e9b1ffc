-- An article renamed keeps its old addresses: /kb/<old slug> answers with a
-- permanent redirect to the current one (modules/helpdesk/knowledge/
-- kb_pages.cpp). The versions already keep every slug an article had; this
-- index finds an old slug's article without reading them all.
CREATE INDEX article_version_slug_idx ON article_version (slug);
