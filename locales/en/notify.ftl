# Mektep: notifications (notify crate). English.
# Three keys per event: -subject (e-mail subject), -email (e-mail text), -sms (SMS text).
# Variables arrive as ready text (dates as DD.MM.YYYY).
# Keep SMS texts short: one Latin SMS is 160 characters.

notify-email-footer =
    This message was sent automatically by the Mektep service; please do not reply.
    You can follow your application in your personal cabinet.

## Contact confirmation. $link — confirmation link, $code — SMS code.

notify-contact-email-subject = Confirm your e-mail address
notify-contact-email-email =
    Hello,

    This address was given in the Mektep service to receive notices about admission to first grade.
    To confirm it, open this link:
    { $link }

    If you did not give this address, please ignore this message.
notify-contact-phone-sms = Mektep: your confirmation code is { $code }. Do not share it with anyone.

## Application submitted. $number — application number, $deadline — review deadline, $url — application page.

notify-submitted-subject = Application No. { $number } registered
notify-submitted-email =
    Hello,

    Your application No. { $number } for admission of your child to first grade has been registered.
    The school will review the documents by { $deadline } and issue a receipt or a reasoned refusal.

    Application: { $url }
notify-submitted-sms = Mektep: application No. { $number } registered. Answer by { $deadline }. { $url }

## Returned for correction. $comment — the school's comment.

notify-returned-subject = Application No. { $number } returned for correction
notify-returned-email =
    Hello,

    The school returned application No. { $number } for correction. The school's comment:

    { $comment }

    Please correct the application and send it again: { $url }
notify-returned-sms = Mektep: application No. { $number } returned for correction: { $comment } { $url }

## Documents accepted. $url — link to the receipt.

notify-accepted-subject = Documents for application No. { $number } accepted
notify-accepted-email =
    Hello,

    The school accepted the documents for application No. { $number }.
    The receipt for the documents is attached to this message; it is also available at:
    { $url }

    We will let you know when the order on admission to first grade is published.
notify-accepted-sms = Mektep: documents for application No. { $number } accepted. Receipt: { $url }
notify-accepted-attachment = receipt-{ $number }.pdf

## Reasoned refusal. $grounds — grounds for the refusal.

notify-refused-subject = Refusal on application No. { $number }
notify-refused-email =
    Hello,

    The school issued a reasoned refusal on application No. { $number }. Grounds:

    { $grounds }

    Details: { $url }
    If you disagree with the decision, you may appeal it as provided by law.
notify-refused-sms = Mektep: application No. { $number } refused: { $grounds } { $url }

## Admitted to first grade. $school, $order_number, $order_date — the order, $url — link to the order.

notify-admitted-subject = Your child is admitted to first grade (application No. { $number })
notify-admitted-email =
    Hello,

    By the school's order No. { $order_number } of { $order_date } your child is admitted to first grade from the new academic year (application No. { $number }).
    School: { $school }

    Order: { $url }
notify-admitted-sms = Mektep: your child is admitted to grade 1, order No. { $order_number } of { $order_date }. { $url }

## Reminder of a draft never submitted. $closes_on — last day of the window.

notify-draft-reminder-subject = Your application has not been sent yet
notify-draft-reminder-email =
    Hello,

    You have a draft application for admission to first grade in the Mektep service, but it has not been sent.
    Applications close on { $closes_on }.

    Please complete the application, sign it with your EDS and send it: { $url }
notify-draft-reminder-sms = Mektep: your application has not been sent. Applications close on { $closes_on }. { $url }

## Daily summary for school staff. $new, $due_today, $overdue — numbers.

notify-staff-summary-subject = Application queue: { $school }, { $date }
notify-staff-summary-email =
    Hello,

    Application queue — { $school }, { $date }:

    New applications: { $new }
    Review deadline today: { $due_today }
    Overdue: { $overdue }

    Queue: { $url }
