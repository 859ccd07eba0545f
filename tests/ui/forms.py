"""Inline fixture forms for the UI tests: every question type, a conditional page and question,
rules and a summary — small enough to read, real enough to exercise the whole wizard."""

from __future__ import annotations

ALL_TYPES_FORM = r"""
id: uitest
version: "1"
title: 77X Test Assessment
marking: OFFICIAL-SENSITIVE
constants:
  high_from: 3
columns:
  victim_name: victim_name
  incident_date: incident_date
  cad_ref: cad_ref
  yes_count: yes_count
sections:
  - id: incident
    title: Incident
    pages:
      - id: details
        title: Incident details
        help: Record what happened, as the victim described it.
        questions:
          - id: victim_name
            type: text
            label: Victim's full name
            required: true
          - id: incident_date
            type: date
            label: Date of incident
            required: true
            constraints:
              - not_future: true
                message: The incident date cannot be in the future.
          - id: incident_time
            type: time
            label: Time of incident
          - id: reported_at
            type: datetime
            label: Reported at
          - id: cad_ref
            type: reference
            label: CAD number
            pattern: '^CAD\d{4}$'
            example: CAD1234
            help: The four-digit CAD number from the call log.
          - id: people_present
            type: integer
            label: People present
            constraints:
              - range: {min: 0, max: 50}
                message: Enter a number from 0 to 50.
          - id: loss_value
            type: decimal
            label: Value of damage (£)
          - id: narrative
            type: longtext
            label: What happened
      - id: people
        title: People
        questions:
          - id: guidance
            type: note
            label: Ask about everyone who lives at the address.
          - id: relationship
            type: choice
            label: Relationship
            choices:
              - {value: partner, label: Partner}
              - {value: ex_partner, label: Ex-partner}
              - {value: family, label: Family member}
          - id: borough
            type: choice
            label: Borough
            choices: [Camden, Hackney, Haringey, Islington, Hillingdon, Enfield, Barnet]
          - id: vulnerabilities
            type: multichoice
            label: Vulnerabilities
            choices:
              - {value: pregnancy, label: Pregnancy}
              - {value: disability, label: Disability}
              - {value: language, label: Language barrier}
          - id: has_children
            type: yesno
            label: Are there children in the household?
          - id: children
            type: repeat
            label: Children
            item_label: Child
            show_when: has_children == 'yes'
            min_items: 0
            max_items: 5
            fields:
              - {id: name, type: text, label: Name, required: true}
              - {id: age, type: integer, label: Age}
  - id: risk
    title: Risk
    pages:
      - id: checklist
        title: Risk checklist
        questions:
          - id: q1
            type: yesno_dk
            number: "1"
            label: Has the current incident resulted in injury?
            comment: true
            tags: [risk]
          - id: q2
            type: yesno_dk
            number: "2"
            label: Is the victim very frightened?
            comment: true
            tags: [risk]
          - id: q3
            type: yesno_dk
            number: "3"
            label: Has the suspect threatened to kill?
            tags: [risk]
          - id: fear_grid
            type: grid
            label: Who is the victim afraid for?
            rows:
              - {value: kill, label: Being killed}
              - {value: injury, label: Further injury}
            columns:
              - {value: self, label: Self}
              - {value: children, label: Children}
          - id: yes_count
            type: computed
            label: Number of 'yes' answers
            expression: count_tagged('risk', 'yes')
          - id: grade
            type: choice
            label: Risk grade
            required: true
            choices:
              - {value: standard, label: Standard}
              - {value: medium, label: Medium}
              - {value: high, label: High}
      - id: stalking
        title: Stalking screen
        show_when: q2 == 'yes'
        questions:
          - id: s1
            type: yesno
            label: Is the victim being followed?
            required: true
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
            choices: [standard, medium, high]
rules:
  - id: high_needs_grade
    when: yes_count >= high_from and grade != 'high'
    severity: error
    message: "3 or more 'yes' answers: the grade must be High."
    targets: [grade]
  - id: not_asked_comment
    each_tag: risk
    when: value == 'not_asked' and not comment
    severity: error
    message: "'Not asked' needs a comment saying why."
summary:
  - label: "'Yes' answers"
    expression: yes_count
  - label: Grade
    expression: grade
"""
