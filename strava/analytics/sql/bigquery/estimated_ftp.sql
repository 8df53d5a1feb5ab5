-- estimated_ftp: per day of power_curve_rolling (bests of the last 90 days):
-- eftp_w = 0.95 x the best 20 minutes; and the two-parameter critical-power model P(t) = CP + W'/t fitted by
-- least squares to the 3-20 minute bests in its linear work form, work = CP * t + W' (at least 3 durations),
-- with the fit's error: the root mean square of the power residuals, W.
WITH best AS (
  SELECT day, duration_s, watts FROM `${project}.${dataset}.power_curve_rolling`
),
points AS (
  SELECT day, CAST(duration_s AS FLOAT64) AS t, watts * duration_s AS work, watts
  FROM best
  WHERE duration_s BETWEEN 180 AND 1200
),
sums AS (
  SELECT day, COUNT(*) AS n, SUM(t) AS st, SUM(work) AS sw, SUM(t * t) AS stt, SUM(t * work) AS stw
  FROM points
  GROUP BY day
  HAVING COUNT(*) >= 3
),
fit AS (
  SELECT day, n, (n * stw - st * sw) / (n * stt - st * st) AS cp
  FROM sums
),
model AS (
  SELECT f.day, f.n, f.cp, (s.sw - f.cp * s.st) / s.n AS w_prime
  FROM fit f
  JOIN sums s ON s.day = f.day
),
error AS (
  SELECT m.day, SQRT(AVG(POW(p.watts - (m.cp + m.w_prime / p.t), 2))) AS rmse
  FROM model m
  JOIN points p ON p.day = m.day
  GROUP BY m.day
)
SELECT
  d.day,
  0.95 * t.watts AS eftp_w,
  m.cp AS cp_w,
  m.w_prime AS w_prime_j,
  e.rmse AS cp_rmse_w,
  m.n AS cp_durations
FROM (SELECT DISTINCT day FROM best) d
LEFT JOIN best t ON t.day = d.day AND t.duration_s = 1200
LEFT JOIN model m ON m.day = d.day
LEFT JOIN error e ON e.day = d.day
