-- The helpdesk module (docs/helpdesk.md): tickets, their comments and
-- their hand-over history. Runs with search_path set to "helpdesk".

-- Kinds of ticket (complaint, repair, question...); their processes are
-- added by TicketTypeService.
CREATE TABLE ticket_type (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name         text        NOT NULL CHECK (name <> ''),
  description  text        NOT NULL DEFAULT '',
  active       boolean     NOT NULL DEFAULT true,
  create_time  timestamptz NOT NULL,
  update_time  timestamptz NOT NULL,
  version      bigint      NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX ticket_type_name ON ticket_type (lower(name));

CREATE TABLE ticket (
  id                  bigint      PRIMARY KEY,
  -- "HD-2026-000042"
  number              text        NOT NULL UNIQUE,
  subject             text        NOT NULL CHECK (subject <> ''),
  description         text        NOT NULL DEFAULT '',
  state               text        NOT NULL DEFAULT 'new'
                      CHECK (state IN ('new', 'open', 'waiting_on_customer',
                                       'waiting_on_third_party', 'resolved', 'closed')),
  priority            text        NOT NULL DEFAULT 'normal'
                      CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  type_id             bigint      REFERENCES ticket_type (id),
  source              text        NOT NULL DEFAULT 'api'
                      CHECK (source IN ('api', 'phone', 'email', 'web_form')),
  partner_id          bigint      REFERENCES partners.partner (id),
  contact_id          bigint      REFERENCES partners.contact (id) ON DELETE SET NULL,
  requester_name      text        NOT NULL DEFAULT '',
  requester_email     text        NOT NULL DEFAULT '',
  requester_phone     text        NOT NULL DEFAULT '',
  assignee_user_id    bigint      REFERENCES kernel.user_account (id),
  team_id             bigint      REFERENCES kernel.team (id),
  sla_state           text        NOT NULL DEFAULT 'none'
                      CHECK (sla_state IN ('none', 'on_track', 'warning', 'breached', 'paused',
                                           'met')),
  merged_into_id      bigint      REFERENCES ticket (id),
  reopen_count        integer     NOT NULL DEFAULT 0,
  first_response_time timestamptz,
  resolve_time        timestamptz,
  close_time          timestamptz,
  created_by          bigint      NOT NULL DEFAULT 0,
  request_id          text        NOT NULL DEFAULT '',
  create_time         timestamptz NOT NULL,
  update_time         timestamptz NOT NULL,
  version             bigint      NOT NULL DEFAULT 1,
  CHECK (merged_into_id IS NULL OR state = 'closed')
);
CREATE SEQUENCE ticket_id_seq OWNED BY ticket.id;
CREATE INDEX ticket_partner ON ticket (partner_id, id) WHERE partner_id IS NOT NULL;
CREATE INDEX ticket_assignee ON ticket (assignee_user_id, id) WHERE assignee_user_id IS NOT NULL;
CREATE INDEX ticket_team ON ticket (team_id, id) WHERE team_id IS NOT NULL;
CREATE INDEX ticket_state ON ticket (state, id);
CREATE INDEX ticket_merged_into ON ticket (merged_into_id) WHERE merged_into_id IS NOT NULL;
-- A retried CreateTicket with the same request_id finds the first one.
CREATE UNIQUE INDEX ticket_request ON ticket (created_by, request_id) WHERE request_id <> '';

CREATE TABLE ticket_comment (
  id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ticket_id       bigint      NOT NULL REFERENCES ticket (id),
  visibility      text        NOT NULL CHECK (visibility IN ('internal', 'public')),
  body            text        NOT NULL CHECK (body <> ''),
  -- 0: not a colleague (the customer's email, kartond)
  author_user_id  bigint      NOT NULL DEFAULT 0,
  from_customer   boolean     NOT NULL DEFAULT false,
  create_time     timestamptz NOT NULL
);
CREATE INDEX ticket_comment_ticket ON ticket_comment (ticket_id, id);

-- Every assignment and hand-over: who had it, who got it, the note.
CREATE TABLE ticket_hand_over (
  id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ticket_id     bigint      NOT NULL REFERENCES ticket (id),
  kind          text        NOT NULL CHECK (kind IN ('assigned', 'handed_over')),
  from_user_id  bigint      NOT NULL DEFAULT 0,
  from_team_id  bigint      NOT NULL DEFAULT 0,
  to_user_id    bigint      NOT NULL DEFAULT 0,
  to_team_id    bigint      NOT NULL DEFAULT 0,
  note          text        NOT NULL DEFAULT '',
  by_user_id    bigint      NOT NULL DEFAULT 0,
  create_time   timestamptz NOT NULL
);
CREATE INDEX ticket_hand_over_ticket ON ticket_hand_over (ticket_id, id);
