-- power_curve_rolling: per day, from the first day with a power curve to today (UTC), and per standard
-- duration, the best mean power of the activities of the last 90 days (that day and the 89 before).
-- Days with no activity in their 90 days have no rows.
WITH curve AS (
  SELECT
    c.duration_s,
    c.watts,
    f.local_date
  FROM `${project}.${dataset}.activity_power_curve` c
  JOIN `${project}.${dataset}.activity_facts` f ON f.id = c.activity_id
),
bounds AS (
  SELECT MIN(local_date) AS first_day, GREATEST(MAX(local_date), CURRENT_DATE()) AS last_day
  FROM curve
),
days AS (
  SELECT day
  FROM bounds, UNNEST(GENERATE_DATE_ARRAY(first_day, last_day)) AS day
)
SELECT d.day, c.duration_s, MAX(c.watts) AS watts
FROM days d
JOIN curve c ON c.local_date BETWEEN DATE_SUB(d.day, INTERVAL 89 DAY) AND d.day
GROUP BY d.day, c.duration_s
