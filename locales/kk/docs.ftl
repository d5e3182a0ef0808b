# Ресми құжаттардың мәтіндері (қолхат, дәлелді бас тарту, бұйрық). Құжаттар екі тілде басылады:
# алдымен қазақша, содан кейін орысша. Аргументтер дайын мәтін ретінде беріледі.

docs-service-name = Бірінші сыныпқа қабылдау үшін құжаттарды қабылдау
docs-continued = (жалғасы)
docs-page = { $page }-бет, барлығы { $total }

## Тексеру (QR-код)

docs-verify-heading = Құжаттың түпнұсқалығын тексеру
docs-verify-hint = QR-кодты сканерлеңіз немесе сілтемені ашыңыз
docs-verify-code = Тексеру коды
docs-footer-note = Құжат ақпараттық жүйеде электрондық түрде қалыптастырылған.

## ЭЦҚ

docs-signature-heading = Электрондық цифрлық қолтаңба
docs-signature = ЭЦҚ-мен қол қойылды: { $signer }, сертификаттың сериялық нөмірі { $serial }, қол қойылған уақыты { $at }.
docs-not-signed = Құжатқа әлі ЭЦҚ-мен қол қойылмаған.

## Құжат атаулары

docs-receipt-title = Қолхат
docs-receipt-subtitle = құжаттардың қабылданғаны туралы
docs-refusal-title = Дәлелді бас тарту
docs-refusal-subtitle = құжаттарды қабылдаудан
docs-order-title = Бұйрық
docs-order-subtitle = бірінші сыныпқа қабылдау туралы

## Өрістер

docs-field-bin = БСН
docs-field-application-number = Өтініш нөмірі
docs-field-submitted-at = Өтініш берілген уақыты
docs-field-child = Баланың тегі, аты, әкесінің аты
docs-field-child-iin = Баланың ЖСН
docs-field-applicant = Өтініш беруші
docs-field-clerk = Құжаттарды қабылдаған қызметкер
docs-field-refusal-clerk = Шешім қабылдаған қызметкер
docs-field-director = Директор
docs-field-academic-year = Оқу жылы
docs-field-language = Оқыту тілі

## Қолхат

docs-section-documents = Қабылданған құжаттар тізбесі
docs-documents-none = Құжаттар көрсетілмеген

## Дәлелді бас тарту

docs-section-grounds = Бас тарту негіздемесі
docs-section-referral = Қайда жүгінуге болады
docs-refusal-referral = Мектепте бос орын болмағандықтан, басқа мектептен орын алу үшін мына мекемеге жүгініңіз: { $department }.
docs-refusal-appeal = Бұл шешімге Қазақстан Республикасының заңнамасында белгіленген тәртіппен шағым жасауға болады.

## Бұйрық

docs-order-basis = Қазақстан Республикасының «Білім туралы» Заңына сәйкес және ата-аналардың (заңды өкілдердің) өтініштері негізінде
docs-order-command = БҰЙЫРАМЫН:
docs-order-admit = Төменде аталған балалар { $year } жылғы 1 қыркүйектен бастап 1-сыныпқа қабылдансын.
docs-order-class = { $class } сыныбы
docs-order-class-total = Сыныпта барлығы
docs-order-total = Барлығы қабылданды
docs-order-no-children = Қабылданатын балалар жоқ.

## Қателер

err-docs-qr-too-long = Тексеру сілтемесі тым ұзын, QR-кодқа сыймайды.
err-docs-font = Құжатты жасау мүмкін болмады: қаріп жүктелмеді.
err-docs-pdf = PDF құжатын жасау мүмкін болмады.
err-docs-xlsx = Excel файлын жасау мүмкін болмады.
