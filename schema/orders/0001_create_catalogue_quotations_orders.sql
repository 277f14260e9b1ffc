-- The orders module (docs/orders.md): the product catalogue, price lists,
-- quotations and sales orders. Runs in schema "orders". Partners, contacts
-- and users are referenced by foreign key: they are entered once, in the
-- partners module and the kernel. Money is integer minor units (fillér,
-- cent); quantities are thousandths, discounts hundredths of a percent.

CREATE TABLE product (
  id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sku                 text        NOT NULL CHECK (length(sku) BETWEEN 1 AND 64),
  name                text        NOT NULL CHECK (name <> ''),
  unit                text        NOT NULL,
  vat_category        text        NOT NULL,
  list_price_currency text        NOT NULL DEFAULT '' CHECK (list_price_currency IN ('', 'HUF', 'EUR')),
  list_price_minor    bigint      NOT NULL DEFAULT 0,
  active              boolean     NOT NULL DEFAULT true,
  description         text        NOT NULL DEFAULT '',
  create_time         timestamptz NOT NULL,
  update_time         timestamptz NOT NULL,
  version             bigint      NOT NULL DEFAULT 1
);
-- SKUs are unique whatever their case: "KAZ-24" and "kaz-24" are one product.
CREATE UNIQUE INDEX product_sku_key ON product (lower(sku));

CREATE TABLE price_list (
  id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name          text        NOT NULL CHECK (name <> ''),
  currency_code text        NOT NULL CHECK (currency_code IN ('HUF', 'EUR')),
  partner_id    bigint      REFERENCES partners.partner (id),
  valid_from    date,
  valid_until   date,
  create_time   timestamptz NOT NULL,
  update_time   timestamptz NOT NULL,
  version       bigint      NOT NULL DEFAULT 1,
  CHECK (valid_from IS NULL OR valid_until IS NULL OR valid_from <= valid_until)
);
CREATE INDEX price_list_partner ON price_list (partner_id) WHERE partner_id IS NOT NULL;

CREATE TABLE price_list_item (
  price_list_id    bigint NOT NULL REFERENCES price_list (id) ON DELETE CASCADE,
  product_id       bigint NOT NULL REFERENCES product (id),
  unit_price_minor bigint NOT NULL CHECK (unit_price_minor >= 0),
  PRIMARY KEY (price_list_id, product_id)
);
-- Looking a product's price up across lists.
CREATE INDEX price_list_item_product ON price_list_item (product_id);

CREATE TABLE quotation (
  id             bigint      PRIMARY KEY,
  number         text        NOT NULL UNIQUE,
  partner_id     bigint      NOT NULL REFERENCES partners.partner (id),
  contact_id     bigint      REFERENCES partners.contact (id) ON DELETE SET NULL,
  opportunity_id bigint,
  currency_code  text        NOT NULL CHECK (currency_code IN ('HUF', 'EUR')),
  state          text        NOT NULL DEFAULT 'draft'
                 CHECK (state IN ('draft', 'sent', 'accepted', 'rejected', 'expired')),
  valid_until    date        NOT NULL,
  note           text        NOT NULL DEFAULT '',
  owner_user_id  bigint      REFERENCES kernel.user_account (id),
  order_id       bigint,
  reject_reason  text        NOT NULL DEFAULT '',
  -- The valid_until whose orders.quotation.expiring notice went out, so a
  -- notice job run twice announces once.
  expiring_notice_date date,
  net_minor      bigint      NOT NULL,
  vat_minor      bigint      NOT NULL,
  gross_minor    bigint      NOT NULL,
  created_by     bigint      NOT NULL DEFAULT 0,
  request_id     text        NOT NULL DEFAULT '',
  create_time    timestamptz NOT NULL,
  update_time    timestamptz NOT NULL,
  version        bigint      NOT NULL DEFAULT 1
);
CREATE SEQUENCE quotation_id_seq OWNED BY quotation.id;
CREATE INDEX quotation_partner ON quotation (partner_id, id);
CREATE INDEX quotation_opportunity ON quotation (opportunity_id) WHERE opportunity_id IS NOT NULL;
-- A retried CreateQuotation with the same request_id finds the first one.
CREATE UNIQUE INDEX quotation_request ON quotation (created_by, request_id) WHERE request_id <> '';

CREATE TABLE sales_order (
  id                     bigint      PRIMARY KEY,
  number                 text        NOT NULL UNIQUE,
  partner_id             bigint      NOT NULL REFERENCES partners.partner (id),
  contact_id             bigint      REFERENCES partners.contact (id) ON DELETE SET NULL,
  quotation_id           bigint      UNIQUE REFERENCES quotation (id),
  currency_code          text        NOT NULL CHECK (currency_code IN ('HUF', 'EUR')),
  state                  text        NOT NULL DEFAULT 'draft'
                         CHECK (state IN ('draft', 'confirmed', 'shipped', 'delivered',
                                          'completed', 'cancelled')),
  note                   text        NOT NULL DEFAULT '',
  owner_user_id          bigint      REFERENCES kernel.user_account (id),
  cancel_reason          text        NOT NULL DEFAULT '',
  credit_override_reason text        NOT NULL DEFAULT '',
  net_minor              bigint      NOT NULL,
  vat_minor              bigint      NOT NULL,
  gross_minor            bigint      NOT NULL,
  created_by             bigint      NOT NULL DEFAULT 0,
  request_id             text        NOT NULL DEFAULT '',
  confirm_time           timestamptz,
  ship_time              timestamptz,
  deliver_time           timestamptz,
  complete_time          timestamptz,
  cancel_time            timestamptz,
  create_time            timestamptz NOT NULL,
  update_time            timestamptz NOT NULL,
  version                bigint      NOT NULL DEFAULT 1
);
CREATE SEQUENCE sales_order_id_seq OWNED BY sales_order.id;
CREATE INDEX sales_order_partner ON sales_order (partner_id, id);
-- The credit check sums a partner's open orders.
CREATE INDEX sales_order_open ON sales_order (partner_id, currency_code)
  WHERE state IN ('confirmed', 'shipped', 'delivered');
CREATE UNIQUE INDEX sales_order_request ON sales_order (created_by, request_id) WHERE request_id <> '';

ALTER TABLE quotation ADD FOREIGN KEY (order_id) REFERENCES sales_order (id);

-- The lines of a quotation or an order (exactly one of the two), as they
-- were priced: a later price change does not touch a document.
CREATE TABLE sales_line (
  id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  quotation_id          bigint REFERENCES quotation (id) ON DELETE CASCADE,
  order_id              bigint REFERENCES sales_order (id) ON DELETE CASCADE,
  position              integer NOT NULL,
  product_id            bigint REFERENCES product (id),
  description           text   NOT NULL,
  quantity_thousandths  bigint NOT NULL,
  unit                  text   NOT NULL,
  unit_price_minor      bigint NOT NULL,
  discount_hundredths   integer NOT NULL DEFAULT 0 CHECK (discount_hundredths BETWEEN 0 AND 10000),
  vat_category          text   NOT NULL,
  net_minor             bigint NOT NULL,
  vat_minor             bigint NOT NULL,
  gross_minor           bigint NOT NULL,
  CHECK ((quotation_id IS NULL) <> (order_id IS NULL))
);
CREATE UNIQUE INDEX sales_line_quotation ON sales_line (quotation_id, position) WHERE quotation_id IS NOT NULL;
CREATE UNIQUE INDEX sales_line_order ON sales_line (order_id, position) WHERE order_id IS NOT NULL;
