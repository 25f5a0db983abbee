"""The read floors of a patient's pages: one hand-written statement each that returns every row the page shows
(the patient details page, the clinical chart, the portal home), card by card, as JSON built by Postgres in one
round trip. The pages share cards (the care ladder's, the referrals', the next session), so their floors share
those parts. Parameters: %(patient)s, %(therapist)s for the staff pages' reader, and the app's clock: %(now)s and the
clinic's %(today)s (`clock_params`), as the pages read "coming" and "in force" by it, not by the database server's.
Each part names the patient by the parameter, not by the outer row, so Postgres plans it for that patient as it
plans the app's own query."""

from apps.core import clock
from apps.notes.selectors import CHART_SESSIONS_PER_PAGE

from .floors import ACTIVE


def clock_params() -> dict:
    """The floors' clock: the app's now and the clinic's date."""
    return {"now": clock.now(), "today": clock.local_now().date()}


UPCOMING = "('booked', 'checked_in')"

# A session as the cards show it: when, where (room, office and its zone), with whom, for what.
_SESSION_COLUMNS = """a.id, a.start, a."end", a.status, a.is_telehealth, a.telehealth_url, r.name AS room,
       l.name AS office, l.time_zone, st.name AS service, st.code, u.first_name, u.last_name"""
_SESSION_JOINS = """FROM scheduling_appointment a
  JOIN accounts_user u ON u.id = a.therapist_id
  JOIN scheduling_servicetype st ON st.id = a.service_type_id
  JOIN scheduling_location l ON l.id = a.location_id
  LEFT JOIN scheduling_room r ON r.id = a.room_id"""

NEXT_SESSION = f"""(SELECT row_to_json(s) FROM (SELECT {_SESSION_COLUMNS} {_SESSION_JOINS}
   WHERE a.patient_id = %(patient)s AND a."end" > %(now)s AND a.status IN {UPCOMING} ORDER BY a.start LIMIT 1) s)"""

FEE_CLASS = """(SELECT json_build_array(f.class_code, f.class_label, f.effective_from, f.expires_on)
   FROM billing_slidingscaleassessment f
  WHERE f.patient_id = %(patient)s AND f.status = 'approved' AND f.effective_from <= %(today)s
    AND f.expires_on > %(today)s ORDER BY f.effective_from DESC, f.id DESC LIMIT 1)"""

# The care ladder's card: the level, its moves, the programs the patient is in or waiting for (with their place
# on the list) and their live requests for a weekly time; the next session comes with NEXT_SESSION.
CARE_LADDER = """(SELECT row_to_json(c) FROM ladder_patientcarelevel c WHERE c.patient_id = %(patient)s) AS care_level,
  (SELECT json_agg(m ORDER BY m.moved_at DESC, m.id DESC) FROM (
     SELECT m.id, m.from_level, m.to_level, m.moved_at, m.content_encrypted, u.first_name, u.last_name
       FROM ladder_carelevelmove m LEFT JOIN accounts_user u ON u.id = m.moved_by_id
      WHERE m.patient_id = %(patient)s) m) AS care_level_moves,
  (SELECT json_agg(e ORDER BY e.created_at DESC) FROM (
     SELECT e.id, e.status, e.created_at, e.offer_expires_at, g.title, g.kind, g.stage, g.decision_on,
            (SELECT count(*) FROM programs_enrollment w
              WHERE w.program_id = e.program_id AND w.status = 'waitlisted'
                AND w.waitlist_position <= e.waitlist_position) AS waitlist_rank
       FROM programs_enrollment e JOIN programs_groupprogram g ON g.id = e.program_id
      WHERE e.patient_id = %(patient)s) e) AS enrollments,
  (SELECT json_agg(q ORDER BY q.created_at DESC) FROM programs_slotrequest q
    WHERE q.patient_id = %(patient)s AND q.status IN ('waiting', 'offered')) AS slot_requests"""

# The referrals card: clearance letters and exceptions, inbound and outbound referrals.
REFERRALS = """(SELECT json_agg(d ORDER BY d.recorded_at DESC) FROM referrals_clearancedocument d
    WHERE d.patient_id = %(patient)s) AS clearances,
  (SELECT json_agg(x ORDER BY x.granted_at DESC) FROM referrals_clearanceexception x
    WHERE x.patient_id = %(patient)s) AS clearance_exceptions,
  (SELECT json_agg(i ORDER BY i.received_on DESC) FROM (
     SELECT i.*, EXISTS (SELECT 1 FROM referrals_clearancedocument d WHERE d.referral_id = i.id) AS has_clearance
       FROM referrals_inboundreferral i WHERE i.patient_id = %(patient)s) i) AS inbound_referrals,
  (SELECT json_agg(o ORDER BY o.created_at DESC) FROM referrals_outboundreferral o
    WHERE o.patient_id = %(patient)s) AS outbound_referrals"""

# The intake forms the patient was sent or has signed, in the clinic's order: whether each was asked for in a
# packet, when it was last signed and whether at its current version.
FORMS = """(SELECT json_agg(f ORDER BY f.position, f.title) FROM (
     SELECT d.id, d.title, d.kind, d.position, k.asked, s.signed_at, s.version_id = d.current_version_id AS current
       FROM intake_intakedocument d
       LEFT JOIN LATERAL (SELECT true AS asked FROM intake_packetitem k
                           WHERE k.patient_id = %(patient)s AND k.document_id = d.id LIMIT 1) k ON true
       LEFT JOIN LATERAL (SELECT s.signed_at, s.version_id FROM intake_signature s
                           WHERE s.patient_id = %(patient)s AND s.document_id = d.id
                           ORDER BY s.signed_at DESC, s.id DESC LIMIT 1) s ON true
      WHERE d.is_active AND d.current_version_id IS NOT NULL AND (k.asked OR s.signed_at IS NOT NULL)) f) AS forms"""

DETAILS = f"""
SELECT row_to_json(p) AS patient,
       (SELECT json_build_array(t.first_name, t.last_name) FROM accounts_user t
         WHERE t.id = p.primary_therapist_id) AS primary_therapist,
       {FEE_CLASS} AS fee_class,
       (SELECT json_agg(s) FROM (SELECT {_SESSION_COLUMNS} {_SESSION_JOINS}
          WHERE a.patient_id = %(patient)s AND a.therapist_id = %(therapist)s AND a."end" > %(now)s
            AND a.status IN {UPCOMING} ORDER BY a.start LIMIT 5) s) AS upcoming,
       {NEXT_SESSION} AS next_session,
       {CARE_LADDER},
       {FORMS},
       {REFERRALS}
  FROM patients_patient p WHERE p.id = %(patient)s"""

# The chart: the first page of the sessions that have started (how many in all riding on each row) with the note the
# reader may see (its template, state and addenda),
# the measures and their open flags, pain from the notes, treatment plans, shared journal entries, education
# assignments, lecture registrations, and the care ladder's and referrals' cards.
CHART = f"""
SELECT row_to_json(p) AS patient,
       (SELECT json_agg(s ORDER BY s.start DESC, s.id DESC) FROM (
          SELECT a.id, a.start, a.status, a.therapist_id, st.code, u.first_name, u.last_name, l.time_zone,
                 n.id AS note_id, n.status AS note_status, n.cosign_required, n.cosigned_at, t.name AS template,
                 (SELECT count(*) FROM notes_addendum ad WHERE ad.note_id = n.id) AS addenda,
                 count(*) OVER () AS started
            FROM scheduling_appointment a
            JOIN accounts_user u ON u.id = a.therapist_id
            JOIN scheduling_servicetype st ON st.id = a.service_type_id
            JOIN scheduling_location l ON l.id = a.location_id
            LEFT JOIN notes_sessionnote n ON n.appointment_id = a.id
                  AND (n.author_id = %(therapist)s OR n.cosigner_id = %(therapist)s OR n.status = 'signed')
            LEFT JOIN notes_notetemplate t ON t.id = n.template_id
           WHERE a.patient_id = %(patient)s AND a.start <= %(now)s
           ORDER BY a.start DESC, a.id DESC LIMIT {CHART_SESSIONS_PER_PAGE}) s) AS sessions,
       {NEXT_SESSION} AS next_session,
       (SELECT json_agg(json_build_array(r.instrument, r.score, r.severity, r.submitted_at)
                        ORDER BY r.submitted_at, r.id)
          FROM outcomes_questionnaireresponse r WHERE r.patient_id = %(patient)s) AS measures,
       (SELECT json_agg(r ORDER BY r.submitted_at) FROM outcomes_questionnaireresponse r
         WHERE r.patient_id = %(patient)s AND r.flagged AND r.flag_reviewed_at IS NULL) AS open_flags,
       (SELECT json_agg(json_build_array(a.start, n.pain_now, n.pain_worst) ORDER BY a.start)
          FROM notes_sessionnote n JOIN scheduling_appointment a ON a.id = n.appointment_id
         WHERE n.patient_id = %(patient)s AND (n.pain_now IS NOT NULL OR n.pain_worst IS NOT NULL)) AS pain,
       (SELECT json_agg(tp ORDER BY tp.signed_at DESC) FROM notes_treatmentplan tp
         WHERE tp.patient_id = %(patient)s AND (tp.author_id = %(therapist)s OR tp.status <> 'draft')) AS plans,
       (SELECT json_agg(j.shared_at ORDER BY j.created_at DESC) FROM outcomes_journalentry j
         WHERE j.patient_id = %(patient)s AND j.shared_at IS NOT NULL) AS journal,
       (SELECT json_agg(x ORDER BY x.created_at DESC) FROM (
          SELECT e.id, e.created_at, e.done_at, i.title, i.kind, u.first_name, u.last_name,
                 (SELECT count(*) FROM education_promptentry w WHERE w.assignment_id = e.id) AS entries
            FROM education_assignment e JOIN education_libraryitem i ON i.id = e.item_id
            JOIN accounts_user u ON u.id = e.assigned_by_id
           WHERE e.patient_id = %(patient)s AND e.withdrawn_at IS NULL) x) AS education,
       (SELECT json_agg(x ORDER BY x.created_at DESC) FROM (
          SELECT e.id, e.status, e.created_at, g.title,
                 (SELECT count(*) FROM programs_attendance t WHERE t.enrollment_id = e.id AND t.status = 'attended')
                   AS attended
            FROM programs_enrollment e JOIN programs_publicregistrant pr ON pr.id = e.registrant_id
            JOIN programs_groupprogram g ON g.id = e.program_id
           WHERE pr.patient_id = %(patient)s) x) AS lecture_history,
       {CARE_LADDER},
       {REFERRALS}
  FROM patients_patient p WHERE p.id = %(patient)s"""

# The portal home: the patient's balance, fee class and coming sessions, their forms, programs, care ladder,
# questionnaires due, unanswered message threads, and whether to offer two-step sign-in.
PORTAL = f"""
SELECT row_to_json(p) AS patient,
       (SELECT coalesce(sum(amount), 0) FROM billing_charge WHERE patient_id = %(patient)s)
     - (SELECT coalesce(sum(amount), 0) FROM billing_payment WHERE patient_id = %(patient)s)
     - (SELECT coalesce(sum(amount), 0) FROM billing_adjustment WHERE patient_id = %(patient)s) AS balance,
       {FEE_CLASS} AS fee_class,
       {NEXT_SESSION} AS next_session,
       (SELECT json_agg(json_build_array(a.start, a.status) ORDER BY a.start) FROM (
          SELECT start, status FROM scheduling_appointment WHERE patient_id = %(patient)s AND "end" > %(now)s
             AND status IN {ACTIVE} ORDER BY start LIMIT 5) a) AS upcoming,
       {CARE_LADDER},
       {FORMS},
       (SELECT count(*) FROM outcomes_questionnaireassignment q
         WHERE q.patient_id = %(patient)s AND q.status = 'pending' AND q.due_at <= %(now)s) AS questionnaires_due,
       (SELECT count(*) FROM messaging_messagethread m
         WHERE m.patient_id = %(patient)s AND m.status = 'open') AS threads,
       EXISTS (SELECT 1 FROM otp_totp_totpdevice d WHERE d.user_id = p.user_id AND d.confirmed) AS two_step,
       EXISTS (SELECT 1 FROM portal_portalaccount pa
                WHERE pa.user_id = p.user_id AND pa.two_step_offer_answered_at IS NOT NULL) AS offer_answered
  FROM patients_patient p WHERE p.id = %(patient)s"""
