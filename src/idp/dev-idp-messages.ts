import type { IinFailure } from '../identity/iin.js';
import { isLang, type Lang, negotiateLang } from '../portal/i18n.js';

/**
 * The development identity provider's words in Kazakh, Russian and English. It stands in for
 * the national provider, which has its own texts, so they live here and not in the portal's.
 */
const en = {
  name: 'DEVELOPMENT identity provider',
  bannerLabel: 'Development notice',
  banner: 'for testing only. It accepts any valid IIN without a password and is switched off in production.',
  langLabel: 'Language',
  errorSummaryTitle: 'There is a problem',
  errorPrefix: 'Error:',
  signInTitle: 'Sign in',
  iinLabel: 'IIN',
  iinHint: 'Any valid 12-digit IIN. No password: this provider is for testing.',
  signIn: 'Sign in',
  cancel: 'Cancel and go back',
  demoTitle: 'Demo citizens',
  iin_format: 'Enter the IIN as exactly 12 digits.',
  iin_century: 'The IIN is invalid: digit 7 (century and sex) must be 1 to 6.',
  iin_date: 'The IIN is invalid: digits 1 to 6 are not a real birth date (YYMMDD).',
  iin_check_digit: 'The IIN is invalid: the check digit (digit 12) does not match.',
  consentTitle: 'Allow the Tyiym app to use your account?',
  consentBody:
    'The Tyiym mobile app will see your ban, its history and who checked you, and can change the ban for you, as you can on the portal.',
  allow: 'Allow',
  deny: 'Do not allow',
  signOutTitle: 'Sign out',
  signingOut: 'You are being signed out of the development identity provider.',
  signOutQuestion: 'Do you want to sign out of the development identity provider?',
  signOut: 'Sign out',
  signedOutTitle: 'You are signed out',
  signedOutBody: 'You are signed out of the development identity provider. You can close this page.',
  errorTitle: 'Sign-in could not be completed',
  errorExpired: 'This sign-in has expired or was already finished. Go back to the service and sign in again.',
  errorBody: 'The request could not be completed. Go back to the service and try again.',
  errorDetail: 'Technical detail (in English):',
};

export type DevIdpMessages = typeof en;

const kk: DevIdpMessages = {
  name: 'ӘЗІРЛЕУ РЕЖИМІНІҢ сәйкестендіру провайдері',
  bannerLabel: 'Әзірлеу режимі туралы хабарлама',
  banner: 'тек сынауға арналған. Ол кез келген дұрыс ЖСН-ді құпиясөзсіз қабылдайды және жұмыс режимінде өшірілген.',
  langLabel: 'Тіл',
  errorSummaryTitle: 'Мәселе анықталды',
  errorPrefix: 'Қате:',
  signInTitle: 'Кіру',
  iinLabel: 'ЖСН',
  iinHint: 'Кез келген дұрыс 12 таңбалы ЖСН. Құпиясөз қажет емес: бұл провайдер сынауға арналған.',
  signIn: 'Кіру',
  cancel: 'Бас тартып, қайту',
  demoTitle: 'Демо азаматтар',
  iin_format: 'ЖСН-ді дәл 12 цифрмен енгізіңіз.',
  iin_century: 'ЖСН жарамсыз: 7-цифр (ғасыр мен жыныс) 1-ден 6-ға дейін болуы керек.',
  iin_date: 'ЖСН жарамсыз: 1–6 цифрлар нақты туған күн емес (ЖЖААКК).',
  iin_check_digit: 'ЖСН жарамсыз: бақылау цифры (12-цифр) сәйкес келмейді.',
  consentTitle: 'Tyiym қолданбасына тіркелгіңізді пайдалануға рұқсат бересіз бе?',
  consentBody:
    'Tyiym мобильді қолданбасы порталдағыдай сіздің тыйымыңызды, оның тарихын және сізді кім тексергенін көреді әрі сіздің атыңыздан тыйымды өзгерте алады.',
  allow: 'Рұқсат беру',
  deny: 'Рұқсат бермеу',
  signOutTitle: 'Шығу',
  signingOut: 'Сіз әзірлеу режимінің сәйкестендіру провайдерінен шығып жатырсыз.',
  signOutQuestion: 'Әзірлеу режимінің сәйкестендіру провайдерінен шығасыз ба?',
  signOut: 'Шығу',
  signedOutTitle: 'Сіз шықтыңыз',
  signedOutBody: 'Сіз әзірлеу режимінің сәйкестендіру провайдерінен шықтыңыз. Бұл бетті жабуға болады.',
  errorTitle: 'Кіруді аяқтау мүмкін болмады',
  errorExpired: 'Бұл кірудің мерзімі өтіп кеткен немесе ол аяқталып қойған. Қызметке оралып, қайта кіріңіз.',
  errorBody: 'Сұрауды орындау мүмкін болмады. Қызметке оралып, қайталап көріңіз.',
  errorDetail: 'Техникалық мәлімет (ағылшынша):',
};

const ru: DevIdpMessages = {
  name: 'ТЕСТОВЫЙ поставщик удостоверений',
  bannerLabel: 'Уведомление о режиме разработки',
  banner: 'только для проверки. Он принимает любой корректный ИИН без пароля и отключён в рабочем режиме.',
  langLabel: 'Язык',
  errorSummaryTitle: 'Обнаружена проблема',
  errorPrefix: 'Ошибка:',
  signInTitle: 'Вход',
  iinLabel: 'ИИН',
  iinHint: 'Любой корректный ИИН из 12 цифр. Пароль не нужен: этот поставщик только для проверки.',
  signIn: 'Войти',
  cancel: 'Отменить и вернуться',
  demoTitle: 'Демонстрационные граждане',
  iin_format: 'Введите ИИН ровно из 12 цифр.',
  iin_century: 'ИИН неверен: 7-я цифра (век и пол) должна быть от 1 до 6.',
  iin_date: 'ИИН неверен: цифры с 1-й по 6-ю не образуют реальную дату рождения (ГГММДД).',
  iin_check_digit: 'ИИН неверен: контрольная цифра (12-я) не совпадает.',
  consentTitle: 'Разрешить приложению Tyiym использовать вашу учётную запись?',
  consentBody:
    'Мобильное приложение Tyiym увидит ваш запрет, его историю и кто вас проверял, и сможет изменить запрет за вас, как вы можете на портале.',
  allow: 'Разрешить',
  deny: 'Не разрешать',
  signOutTitle: 'Выход',
  signingOut: 'Выполняется выход из тестового поставщика удостоверений.',
  signOutQuestion: 'Выйти из тестового поставщика удостоверений?',
  signOut: 'Выйти',
  signedOutTitle: 'Вы вышли',
  signedOutBody: 'Вы вышли из тестового поставщика удостоверений. Эту страницу можно закрыть.',
  errorTitle: 'Не удалось завершить вход',
  errorExpired: 'Срок этого входа истёк, или он уже завершён. Вернитесь в сервис и войдите снова.',
  errorBody: 'Запрос не удалось выполнить. Вернитесь в сервис и попробуйте ещё раз.',
  errorDetail: 'Техническая подробность (на английском):',
};

export const DEV_IDP_MESSAGES: Readonly<Record<Lang, DevIdpMessages>> = { kk, ru, en };

export function iinFailureMessage(m: DevIdpMessages, failure: IinFailure): string {
  return m[`iin_${failure}`];
}

/** Where the language comes from, most explicit first. */
export interface LangSources {
  /** The switcher on the provider's own pages (?lang=, or a form field). */
  chosen?: unknown;
  /** A choice made on an earlier page of the provider, kept in a short-lived cookie. */
  remembered?: unknown;
  /** OpenID Connect ui_locales from the client: space-separated tags, most preferred first. */
  uiLocales?: unknown;
  acceptLanguage?: string | undefined;
}

export function pickLang({ chosen, remembered, uiLocales, acceptLanguage }: LangSources): Lang {
  if (isLang(chosen)) return chosen;
  if (isLang(remembered)) return remembered;
  if (typeof uiLocales === 'string') {
    for (const tag of uiLocales.split(' ')) {
      const primary = tag.slice(0, 2).toLowerCase();
      if (isLang(primary)) return primary;
    }
  }
  return negotiateLang(acceptLanguage);
}
