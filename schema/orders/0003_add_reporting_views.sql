-- The orders module's reporting contract (docs/orders.md, "Reporting
-- views"): read-only views in the schema orders_reporting that the reports
-- module (and an installation's own SQL reports) reads instead of orders'
-- tables. Like a v1 proto the views only grow: a later migration may add
-- columns at the end (CREATE OR REPLACE VIEW), never rename, drop or change
-- the meaning of one. Visibility is not applied here.
CREATE SCHEMA orders_reporting;

-- One row per sales order, drafts and cancelled ones included (state says
-- which). Named after the table, not "order", which SQL reserves. Money in minor units of currency_code; the totals are the order's
-- as priced (net, VAT, gross).
CREATE VIEW orders_reporting.sales_order AS
SELECT o.id,
       o.number,
       o.partner_id,
       o.owner_user_id,                            -- NULL: nobody's
       o.quotation_id,                             -- the quotation it came from; NULL if none
       o.state,        -- 'draft', 'confirmed', 'shipped', 'delivered', 'completed', 'cancelled'
       o.currency_code,                            -- 'HUF' or 'EUR'
       o.net_minor,
       o.vat_minor,
       o.gross_minor,
       o.create_time,
       o.confirm_time,                             -- NULL until confirmed
       o.ship_time,
       o.deliver_time,
       o.complete_time,
       o.cancel_time                               -- NULL unless cancelled
FROM orders.sales_order o;
