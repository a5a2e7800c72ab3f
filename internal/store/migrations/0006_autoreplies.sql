-- Members may turn off listd's private pointers to counselling centres.
ALTER TABLE members ADD COLUMN auto_replies INTEGER NOT NULL DEFAULT 1;
