-- The invoicing module (docs/invoicing.md): invoices, their lines, the
-- gap-free number series, payments. Runs in schema "invoicing". Money is
-- integer minor units; quantities thousandths, discounts hundredths of a
-- percent, exchange rates millionths of a forint per unit.

-- The last number taken per series and year. IssueInvoice increments the
-- row in its own transaction, so the row stays locked until the invoice
-- commits: a rolled-back issue gives its number back, and no two issues
-- of one series and year take a number at once (docs/invoicing.md,
-- "Numbering").
CREATE TABLE number_series (
  series      text    NOT NULL CHECK (series ~ '^[A-Z0-9]{1,10}$'),
  year        integer NOT NULL CHECK (year BETWEEN 2000 AND 9999),
  last_number integer NOT NULL CHECK (last_number > 0),
  PRIMARY KEY (series, year)
);

CREATE TABLE invoice (
  id                     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  number                 text        UNIQUE,
  state                  text        NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'issued')),
  partner_id             bigint      NOT NULL REFERENCES partners.partner (id),
  order_id               bigint      REFERENCES orders.sales_order (id),
  currency_code          text        NOT NULL CHECK (currency_code IN ('HUF', 'EUR')),
  rate_millionths        bigint      NOT NULL DEFAULT 0 CHECK (rate_millionths >= 0),
  issue_date             date,
  fulfillment_date       date,
  due_date               date,
  payment_method         text        NOT NULL DEFAULT 'transfer'
                         CHECK (payment_method IN ('transfer', 'cash', 'card')),
  note                   text        NOT NULL DEFAULT '',
  net_minor              bigint      NOT NULL,
  vat_minor              bigint      NOT NULL,
  gross_minor            bigint      NOT NULL,
  vat_huf_minor          bigint      NOT NULL DEFAULT 0,
  paid_minor             bigint      NOT NULL DEFAULT 0 CHECK (paid_minor >= 0),
  -- When the last payment settled it; NULL while anything is open.
  paid_date              date,
  created_by             bigint      NOT NULL DEFAULT 0,
  request_id             text        NOT NULL DEFAULT '',
  issue_time             timestamptz,
  create_time            timestamptz NOT NULL,
  update_time            timestamptz NOT NULL,
  version                bigint      NOT NULL DEFAULT 1,
  CHECK (state = 'draft' OR (number IS NOT NULL AND issue_date IS NOT NULL AND due_date IS NOT NULL)),
  CHECK (paid_minor <= gross_minor OR gross_minor < 0)
);
CREATE INDEX invoice_partner ON invoice (partner_id, id);
-- An order is billed once (drafts included).
CREATE UNIQUE INDEX invoice_order ON invoice (order_id) WHERE order_id IS NOT NULL;
CREATE UNIQUE INDEX invoice_request ON invoice (created_by, request_id) WHERE request_id <> '';
-- The balance and the credit check read a partner's open issued invoices.
CREATE INDEX invoice_open ON invoice (partner_id, currency_code)
  WHERE state = 'issued' AND paid_date IS NULL;

CREATE TABLE invoice_line (
  invoice_id           bigint  NOT NULL REFERENCES invoice (id) ON DELETE CASCADE,
  position             integer NOT NULL,
  product_id           bigint,
  description          text    NOT NULL,
  quantity_thousandths bigint  NOT NULL,
  unit                 text    NOT NULL,
  unit_price_minor     bigint  NOT NULL,
  discount_hundredths  integer NOT NULL DEFAULT 0 CHECK (discount_hundredths BETWEEN 0 AND 10000),
  vat_category         text    NOT NULL,
  net_minor            bigint  NOT NULL,
  vat_minor            bigint  NOT NULL,
  gross_minor          bigint  NOT NULL,
  PRIMARY KEY (invoice_id, position)
);

CREATE TABLE payment (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  invoice_id   bigint      NOT NULL REFERENCES invoice (id),
  amount_minor bigint      NOT NULL CHECK (amount_minor > 0),
  method       text        NOT NULL CHECK (method IN ('transfer', 'cash', 'card')),
  paid_on      date        NOT NULL,
  reference    text        NOT NULL DEFAULT '',
  created_by   bigint      NOT NULL DEFAULT 0,
  request_id   text        NOT NULL DEFAULT '',
  create_time  timestamptz NOT NULL
);
CREATE INDEX payment_invoice ON payment (invoice_id, id);
CREATE UNIQUE INDEX payment_request ON payment (created_by, request_id) WHERE request_id <> '';
