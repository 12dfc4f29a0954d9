-- Version 4: versioned scoring policies.
CREATE TABLE scoring_policies (
  version       INTEGER PRIMARY KEY,
  touch_points  TEXT NOT NULL,
  title_points  INTEGER NOT NULL,
  title_keywords TEXT NOT NULL,
  company_points INTEGER NOT NULL,
  country_points INTEGER NOT NULL,
  target_countries TEXT NOT NULL,
  decay_half_life_us INTEGER NOT NULL,
  mql_threshold INTEGER NOT NULL,
  create_us     INTEGER NOT NULL
);
