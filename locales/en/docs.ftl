# Texts of the official documents (receipt, reasoned refusal, admission order). Documents are
# printed in Kazakh and Russian; English serves previews and tests. Arguments arrive as ready text.

docs-service-name = Acceptance of documents for admission to the first grade
docs-continued = (continued)
docs-page = Page { $page } of { $total }

## Verification (QR code)

docs-verify-heading = Verify this document
docs-verify-hint = Scan the QR code or open the link
docs-verify-code = Verification code
docs-footer-note = This document was produced electronically by the information system.

## EDS

docs-signature-heading = Electronic digital signature
docs-signature = Signed with an electronic digital signature by { $signer }, certificate serial number { $serial }, at { $at }.
docs-not-signed = The document is not yet signed with an electronic digital signature.

## Document titles

docs-receipt-title = Receipt
docs-receipt-subtitle = of acceptance of documents
docs-refusal-title = Reasoned refusal
docs-refusal-subtitle = to accept the documents
docs-order-title = Order
docs-order-subtitle = on admission to the first grade

## Fields

docs-field-bin = BIN
docs-field-application-number = Application number
docs-field-submitted-at = Submitted at
docs-field-child = Child's full name
docs-field-child-iin = Child's IIN
docs-field-applicant = Applicant
docs-field-clerk = Documents accepted by
docs-field-refusal-clerk = Decision made by
docs-field-director = Director
docs-field-academic-year = Academic year
docs-field-language = Language of instruction

## Receipt

docs-section-documents = Documents accepted
docs-documents-none = No documents listed

## Reasoned refusal

docs-section-grounds = Grounds for refusal
docs-section-referral = Where to apply
docs-refusal-referral = As the school has no free places, please apply for a place in another school to: { $department }.
docs-refusal-appeal = This decision may be appealed in the manner established by the legislation of the Republic of Kazakhstan.

## Admission order

docs-order-basis = In accordance with the Law of the Republic of Kazakhstan "On Education" and on the basis of the applications of parents (legal representatives)
docs-order-command = I ORDER:
docs-order-admit = The children listed below are admitted to the 1st grade from 1 September { $year }.
docs-order-class = Class { $class }
docs-order-class-total = Total in class
docs-order-total = Total admitted
docs-order-no-children = No children to admit.

## Errors

err-docs-qr-too-long = The verification link is too long for a QR code.
err-docs-font = Could not produce the document: the font failed to load.
err-docs-pdf = Could not produce the PDF document.
err-docs-xlsx = Could not produce the Excel file.
