"""An inline form for the QA tests: the shape of 124D's review parts in a few questions. Its flag rules
are warnings (in 124D some are errors), so submitted records carry every kind of queue flag."""

from __future__ import annotations

QA_FORM = r"""
id: qa
version: "1"
title: 124Q QA test form
options:
  part_a_source: true
  flags:
    high_without_marac: {label: "High risk without MARAC referral", urgent: true}
    children_without_merlin: {label: "Children without Merlin PAC reference", urgent: true}
    potential_escalation: {label: "Potential escalation", urgent: false}
constants:
  high_floor: 3
  escalation_incidents: 3
columns:
  victim_name: victim_name
  incident_date: incident_date
  cad_ref: cad_ref
  grade: effective_grade
  officer_grade: officer_grade
  yes_count: yes_count
  children_count: children_count
  merlin_missing: merlin_missing
  marac_referral_date: marac_referral_date
  marac_criteria: marac_criteria
sections:
  - id: incident
    title: Incident
    pages:
      - id: details
        title: Incident details
        questions:
          - {id: victim_name, type: text, label: Victim's full name, required: true}
          - {id: incident_date, type: date, label: Date of incident}
          - {id: cad_ref, type: reference, label: CAD number, pattern: '^CAD\d{4}$', example: CAD1234}
          - {id: previous_incidents, type: integer, label: Previous incidents in 12 months}
      - id: risk
        title: Risk
        questions:
          - {id: dash_q1, type: yesno_dk, number: "1", label: Injured?, comment: true, tags: [dash]}
          - {id: dash_q2, type: yesno_dk, number: "2", label: Very frightened?, tags: [dash]}
          - {id: dash_q3, type: yesno_dk, number: "3", label: Threats to kill?, tags: [dash]}
          - {id: yes_count, type: computed, label: Yes answers, expression: "count_tagged('dash', 'yes')"}
          - id: officer_grade
            type: choice
            label: Officer's grade
            required: true
            tags: [{review: officer_grade}]
            choices: [{value: standard, label: Standard}, {value: medium, label: Medium}, {value: high, label: High}]
          - id: effective_grade
            type: computed
            label: Risk grade
            expression: choose(answered(supervisor_grade), supervisor_grade, officer_grade)
      - id: referrals
        title: Referrals and children
        questions:
          - id: marac_criteria
            type: multichoice
            label: MARAC criteria met
            choices: [visible_high_risk, professional_judgement, potential_escalation, repeat]
          - {id: marac_referral_date, type: date, label: Date of the MARAC referral}
          - id: children
            type: repeat
            label: Children
            item_label: Child
            fields:
              - {id: name, type: text, label: Name, required: true}
              - {id: present, type: yesno, label: Present}
              - {id: merlin_ref, type: text, label: Merlin PAC reference}
          - {id: children_count, type: computed, label: Children recorded, expression: len(children)}
          - id: merlin_missing
            type: computed
            label: Children present without a Merlin reference
            expression: "count_items(children, present == 'yes' and not answered(merlin_ref))"
  - id: review
    title: Supervisor review
    audience: reviewer
    pages:
      - id: supervisor
        title: Supervisor review
        questions:
          - id: supervisor_grade
            type: choice
            label: Supervisor's grade
            tags: [{review: grade}]
            choices: [{value: standard, label: Standard}, {value: medium, label: Medium}, {value: high, label: High}]
          - id: supervisor_rationale
            type: longtext
            label: Reason for the grade
            required_when: answered(supervisor_grade) and supervisor_grade != officer_grade
            tags: [{review: rationale}]
          - {id: qa_checked, type: yesno, label: DASH checked with the officer's comments, tags: [qa]}
rules:
  - id: officer_floor
    when: yes_count >= high_floor and answered(officer_grade) and officer_grade != 'high'
    severity: error
    message: "3 or more 'yes' answers: the grade must be High."
    targets: [officer_grade]
  - id: supervisor_floor
    when: yes_count >= high_floor and answered(supervisor_grade) and supervisor_grade != 'high'
    severity: error
    message: "3 or more 'yes' answers: the supervisor's grade cannot be lower than High."
    targets: [supervisor_grade]
  - id: high_without_marac
    when: effective_grade == 'high' and not answered(marac_referral_date)
    severity: warning
    message: "A High grade needs a MARAC referral."
    targets: [marac_referral_date]
    tags: [{flag: high_without_marac}]
  - id: children_without_merlin
    when: merlin_missing > 0
    severity: warning
    message: "Every child present needs a Merlin PAC reference."
    targets: [children]
    tags: [{flag: children_without_merlin}]
  - id: potential_escalation
    when: previous_incidents >= escalation_incidents and count(marac_criteria, 'potential_escalation') == 0
    severity: warning
    message: "3 or more previous incidents: consider potential escalation."
    targets: [marac_criteria]
    tags: [{flag: potential_escalation}]
summary:
  - label: "'Yes' answers"
    expression: yes_count
  - label: Officer's grade
    expression: officer_grade
  - label: Supervisor's grade
    expression: supervisor_grade
"""

OTHER_FORM = """
id: other
version: "1"
title: Other form
columns:
  victim_name: victim_name
sections:
  - id: main
    title: Main
    pages:
      - id: main
        title: Main
        questions:
          - {id: victim_name, type: text, label: Name}
"""
