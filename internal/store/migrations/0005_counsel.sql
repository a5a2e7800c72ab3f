-- The counselling directory. Centres are replaced whole by each import; postal-code
-- places are replaced country by country; counsel_version is bumped by both so that a
-- running listd knows to rebuild its in-memory index.
CREATE TABLE counsel_centers (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    organisation  TEXT    NOT NULL DEFAULT '',
    street        TEXT    NOT NULL DEFAULT '',
    country       TEXT    NOT NULL DEFAULT 'DE',
    postal_code   TEXT    NOT NULL DEFAULT '',
    city          TEXT    NOT NULL DEFAULT '',
    phone         TEXT    NOT NULL DEFAULT '',
    email         TEXT    NOT NULL DEFAULT '',
    web           TEXT    NOT NULL DEFAULT '',
    topics        TEXT    NOT NULL DEFAULT '',  -- separated by ';'
    hours         TEXT    NOT NULL DEFAULT '',
    languages     TEXT    NOT NULL DEFAULT '',  -- separated by ';'
    accessibility TEXT    NOT NULL DEFAULT '',
    latitude      REAL,                         -- both NULL: placed by its postal code
    longitude     REAL,
    online        INTEGER NOT NULL DEFAULT 0,
    nationwide    INTEGER NOT NULL DEFAULT 0,
    CHECK ((latitude IS NULL) = (longitude IS NULL))
);

-- Postal-code places as in the GeoNames dumps: many places may share one code.
CREATE TABLE counsel_places (
    id          INTEGER PRIMARY KEY,
    country     TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    place       TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL DEFAULT '',
    latitude    REAL NOT NULL,
    longitude   REAL NOT NULL
);
CREATE INDEX counsel_places_country ON counsel_places (country, postal_code);

CREATE TABLE counsel_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO counsel_version (id, version) VALUES (1, 0);

-- How often the directory was asked, per month, topic and kind of request: counts
-- only, never who asked.
CREATE TABLE counsel_stats (
    month TEXT    NOT NULL,
    topic TEXT    NOT NULL,
    kind  TEXT    NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, topic, kind)
);
