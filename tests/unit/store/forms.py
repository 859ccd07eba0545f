"""Tiny inline form definitions for the store tests (independent of forms/124d.yaml)."""

from __future__ import annotations

MINI_FORM = """\
id: mini
version: "1"
title: Mini test form
columns:
  victim_name: victim_name
  suspect_name: suspect_name
  incident_date: incident_date
  cad_ref: cad_ref
  grade: officer_grade
  yes_count: yes_count
sections:
  - id: main
    title: Main
    pages:
      - id: people
        title: People
        questions:
          - id: victim_name
            type: text
            label: Victim name
            required: true
          - id: suspect_name
            type: text
            label: Suspect name
          - id: incident_date
            type: date
            label: Incident date
          - id: cad_ref
            type: reference
            label: CAD number
            pattern: '^CAD\\d{4}$'
            example: CAD1234
          - id: statement
            type: longtext
            label: Statement
      - id: risk
        title: Risk
        questions:
          - id: dash_q1
            type: yesno_dk
            label: Injured?
            comment: true
            tags: [dash]
          - id: dash_q2
            type: yesno_dk
            label: Frightened?
            tags: [dash]
          - id: yes_count
            type: computed
            label: Yes answers
            expression: count_tagged('dash', 'yes')
          - id: officer_grade
            type: choice
            label: Officer's grade
            choices: [standard, medium, high]
  - id: review
    title: Supervisor review
    audience: reviewer
    pages:
      - id: review_page
        title: Review
        questions:
          - id: supervisor_grade
            type: choice
            label: Supervisor's grade
            choices: [standard, medium, high]
          - id: rationale
            type: longtext
            label: Rationale
rules:
  - id: both_yes_high
    when: yes_count >= 2 and answered(supervisor_grade) and supervisor_grade != 'high'
    severity: error
    message: "Two 'yes' answers: the supervisor's grade cannot be below High."
    targets: [supervisor_grade]
  - id: high_flag
    when: officer_grade == 'high' and yes_count < 1
    severity: warning
    message: High grade with no 'yes' answers.
    tags: [{flag: high_without_yes}]
"""
