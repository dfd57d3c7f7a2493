/**
 * The one message catalogue of the dashboard: every visible label comes from here, in Chinese
 * (the default: the KPI is a Hebei provincial indicator and its users read Chinese) and
 * English. `en` is typed against `zh`, so a key missing in either language fails the type
 * check; i18n.test.ts checks the same at run time and that placeholders agree.
 * The choice is remembered in localStorage.
 */

const zh = {
  'app.title': '河北省数字化设备联网率',
  'app.subtitle': '重点行业龙头企业目标：数字化设备联网率 ≥ {target}',
  'nav.label': '视图',
  'nav.skip': '跳到主要内容',
  'nav.province': '全省概览',
  'nav.gateways': '边缘网关',
  'lang.label': '切换语言',
  'lang.other': 'English',
  'window.label': '统计窗口',
  'window.1h': '近1小时',
  'window.24h': '近24小时',
  'window.7d': '近7天',
  'window.30d': '近30天',
  'live.on': '实时更新',
  'live.off': '实时连接中断，正在重连…',
  'live.updated': '更新于 {time}',
  'health.ok': '服务正常',
  'health.degraded': '消息代理未连接',
  'health.down': '存储不可用',
  'kpi.networkedRate': '数字化设备联网率',
  'kpi.deviceNetworkedRate': '设备联网率',
  'kpi.digitizationRate': '生产设备数字化率',
  'kpi.meanOnline': '平均在线率',
  'kpi.live': '实时联网率',
  'kpi.windowDetail': '{networked} / {digital} 台数字化设备联网（在线率 ≥ {theta}）',
  'kpi.liveDetail': '{networked} / {digital} 台数字化设备在最近完整时段（{bucket}）在线',
  'kpi.ratiosDetail': '{devices} 台生产设备，其中 {digital} 台数字化设备',
  'target.title': '龙头企业达标',
  'target.detail': '重点行业龙头企业联网率 ≥ {threshold}',
  'target.meets': '达标',
  'target.misses': '未达标',
  'target.none': '台账中没有重点行业龙头企业。',
  'target.list': '龙头企业达标情况',
  'chart.cities': '各地市数字化设备联网率',
  'chart.industries': '各行业数字化设备联网率',
  'chart.trend': '全省联网率趋势',
  'chart.trendDetail': '每段为一个{step}子窗口内的联网率',
  'chart.target': '目标 {value}',
  'chart.rate': '联网率',
  'chart.noDevices': '无设备',
  'chart.loading': '正在计算…',
  'window.custom': '近{duration}',
  'unit.s': '{n}秒',
  'unit.min': '{n}分钟',
  'unit.h': '{n}小时',
  'unit.d': '{n}天',
  'table.enterprises': '企业联网情况',
  'table.sortBy': '按{column}排序',
  'col.enterprise': '企业',
  'col.city': '地市',
  'col.industry': '行业',
  'col.leading': '龙头企业',
  'col.devices': '设备',
  'col.device': '设备',
  'col.kind': '类型',
  'col.digital': '数字化',
  'col.state': '状态',
  'col.onlineFraction': '在线率',
  'col.reason': '离线原因',
  'col.lastSeen': '最后上报',
  'col.node': '网关',
  'col.group': '企业（组）',
  'col.sparkplug': 'Sparkplug 状态',
  'col.bdSeq': 'bdSeq',
  'col.backlog': '缓存积压',
  'col.lastBirth': '最近上线',
  'col.lastDeath': '最近离线',
  'col.lastMessage': '最近消息',
  'col.firstSeen': '首次出现',
  'common.yes': '是',
  'common.no': '否',
  'common.none': '—',
  'common.leading': '龙头',
  'common.entries': '{n} 条',
  'state.online': '在线',
  'state.offline': '离线',
  'reason.device_unreachable': '设备不可达',
  'reason.gateway_down': '网关离线',
  'reason.never_connected': '从未联网',
  'industry.steel': '钢铁',
  'industry.equipment': '装备',
  'industry.pharma': '医药',
  'industry.building-materials': '建材',
  'industry.photovoltaic': '光伏',
  'industry.other': '其他',
  'enterprise.back': '返回全省概览',
  'enterprise.line': '产线 {line}',
  'enterprise.devices': '产线与设备',
  'enterprise.noDevices': '台账中该企业没有登记设备。',
  'common.devices': '{n} 台设备',
  'enterprise.showChart': '查看 {device} 的数据曲线',
  'enterprise.notFound': '台账中没有企业 “{id}”。',
  'device.title': '{device}：近1小时数据',
  'device.close': '关闭曲线',
  'device.empty': '该设备近1小时没有数据。设备接入网关后，数据会在这里显示。',
  'gateways.title': '边缘网关（Sparkplug 边缘节点）',
  'gateways.nodes': '网关在线',
  'gateways.messages': '已接收消息',
  'gateways.samples': '已存储数据点',
  'gateways.rejected': '拒收消息',
  'gateways.store': '存储',
  'gateways.backlogValue': '{entries} 条 / {bytes}',
  'gateways.devicesValue': '{online} / {total} 在线',
  'unregistered.title': '未登记设备',
  'unregistered.detail': '遥测中出现但不在设备台账中，不计入联网率。请在台账中登记。',
  'unregistered.empty': '没有未登记设备：上报数据的设备都在台账中。',
  'empty.noGateway': '尚无网关上报数据。启动一个网关：',
  'empty.noGatewayAfter': '网关连接后，本页面会自动更新。',
  'empty.noEnterprises':
    '台账中没有企业。请在 config/plants/ 的工厂文件中登记企业与设备，或通过 /api/ledger 添加。',
  'token.title': '需要访问令牌',
  'token.detail': '此云端服务配置了读取令牌。请输入令牌（仅保存在本浏览器标签页中）。',
  'token.label': '读取令牌',
  'token.submit': '连接',
  'token.refused': '令牌被拒绝，请检查后重试。',
  'error.load': '无法加载数据：{message}',
  'error.retry': '重试',
} as const;

export type MessageKey = keyof typeof zh;

const en: Record<MessageKey, string> = {
  'app.title': 'Hebei: networked rate of digital equipment',
  'app.subtitle': 'Target for leading enterprises of key industries: networked rate ≥ {target}',
  'nav.label': 'Views',
  'nav.skip': 'Skip to content',
  'nav.province': 'Province',
  'nav.gateways': 'Gateways',
  'lang.label': 'Switch language',
  'lang.other': '中文',
  'window.label': 'Window',
  'window.1h': 'Last hour',
  'window.24h': 'Last 24 h',
  'window.7d': 'Last 7 days',
  'window.30d': 'Last 30 days',
  'live.on': 'Live',
  'live.off': 'Live updates interrupted, reconnecting…',
  'live.updated': 'Updated {time}',
  'health.ok': 'Service up',
  'health.degraded': 'Broker disconnected',
  'health.down': 'Store unavailable',
  'kpi.networkedRate': 'Networked rate of digital equipment',
  'kpi.deviceNetworkedRate': 'Device networked rate',
  'kpi.digitizationRate': 'Digitization rate',
  'kpi.meanOnline': 'Mean online fraction',
  'kpi.live': 'Live networked rate',
  'kpi.windowDetail': '{networked} of {digital} digital devices networked (online ≥ {theta})',
  'kpi.liveDetail':
    '{networked} of {digital} digital devices online in the latest complete bucket ({bucket})',
  'kpi.ratiosDetail': '{devices} production devices, {digital} of them digital',
  'target.title': 'Leading enterprises on target',
  'target.detail': 'Leading enterprises of key industries at ≥ {threshold}',
  'target.meets': 'Meets',
  'target.misses': 'Below',
  'target.none': 'The ledger has no leading enterprise of a key industry.',
  'target.list': 'Target check',
  'chart.cities': 'Networked rate by city',
  'chart.industries': 'Networked rate by industry',
  'chart.trend': 'Province networked rate over time',
  'chart.trendDetail': 'Each step is the rate over one sub-window of {step}',
  'chart.target': 'Target {value}',
  'chart.rate': 'Networked rate',
  'chart.noDevices': 'no devices',
  'chart.loading': 'Computing…',
  'window.custom': 'Last {duration}',
  'unit.s': '{n} s',
  'unit.min': '{n} min',
  'unit.h': '{n} h',
  'unit.d': '{n} d',
  'table.enterprises': 'Enterprises',
  'table.sortBy': 'Sort by {column}',
  'col.enterprise': 'Enterprise',
  'col.city': 'City',
  'col.industry': 'Industry',
  'col.leading': 'Leading',
  'col.devices': 'Devices',
  'col.device': 'Device',
  'col.kind': 'Kind',
  'col.digital': 'Digital',
  'col.state': 'State',
  'col.onlineFraction': 'Online fraction',
  'col.reason': 'Offline reason',
  'col.lastSeen': 'Last seen',
  'col.node': 'Gateway',
  'col.group': 'Enterprise (group)',
  'col.sparkplug': 'Sparkplug state',
  'col.bdSeq': 'bdSeq',
  'col.backlog': 'Backlog',
  'col.lastBirth': 'Last birth',
  'col.lastDeath': 'Last death',
  'col.lastMessage': 'Last message',
  'col.firstSeen': 'First seen',
  'common.yes': 'Yes',
  'common.no': 'No',
  'common.none': '—',
  'common.leading': 'Leading',
  'common.entries': '{n} entries',
  'state.online': 'Online',
  'state.offline': 'Offline',
  'reason.device_unreachable': 'Device unreachable',
  'reason.gateway_down': 'Gateway down',
  'reason.never_connected': 'Never connected',
  'industry.steel': 'Steel',
  'industry.equipment': 'Equipment',
  'industry.pharma': 'Pharmaceuticals',
  'industry.building-materials': 'Building materials',
  'industry.photovoltaic': 'Photovoltaics',
  'industry.other': 'Other',
  'enterprise.back': 'Back to the province',
  'enterprise.line': 'Line {line}',
  'enterprise.devices': 'Lines and devices',
  'enterprise.noDevices': 'The ledger lists no device of this enterprise.',
  'common.devices': '{n} devices',
  'enterprise.showChart': 'Show the values of {device}',
  'enterprise.notFound': 'The ledger has no enterprise “{id}”.',
  'device.title': '{device}: last hour',
  'device.close': 'Close chart',
  'device.empty': 'No values from this device in the last hour. They appear here once a gateway reaches it.',
  'gateways.title': 'Gateways (Sparkplug edge nodes)',
  'gateways.nodes': 'Gateways online',
  'gateways.messages': 'Messages received',
  'gateways.samples': 'Samples stored',
  'gateways.rejected': 'Messages rejected',
  'gateways.store': 'Store',
  'gateways.backlogValue': '{entries} entries / {bytes}',
  'gateways.devicesValue': '{online} of {total} online',
  'unregistered.title': 'Unregistered devices',
  'unregistered.detail':
    'Seen in telemetry but not in the equipment ledger: they never count. Register them in the ledger.',
  'unregistered.empty': 'None: every device that reports is in the ledger.',
  'empty.noGateway': 'No gateway has reported yet. Start one with:',
  'empty.noGatewayAfter': 'This page updates by itself once a gateway connects.',
  'empty.noEnterprises':
    'The ledger has no enterprise. Register enterprises and devices in a plant file under config/plants/, or add them through /api/ledger.',
  'token.title': 'Access token required',
  'token.detail': 'This cloud requires a read token. Enter it (kept in this browser tab only).',
  'token.label': 'Read token',
  'token.submit': 'Connect',
  'token.refused': 'The token was refused. Check it and try again.',
  'error.load': 'Could not load data: {message}',
  'error.retry': 'Retry',
};

export type Lang = 'zh' | 'en';
export const CATALOGUE: Readonly<Record<Lang, Readonly<Record<MessageKey, string>>>> = { zh, en };

const STORAGE_KEY = 'lianwang.lang';
let current: Lang = 'zh';

/** The remembered language; Chinese when none was chosen (or storage is unavailable). */
export function initLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    current = saved === 'en' ? 'en' : 'zh';
  } catch {
    current = 'zh'; // storage disabled (private mode, sandboxed frame): not worth an error
  }
  return current;
}

export function lang(): Lang {
  return current;
}

export function setLang(l: Lang): void {
  current = l;
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    // Not remembered, still switched.
  }
}

/** BCP 47 tag for Intl formatting and <html lang>. */
export function locale(l: Lang = current): string {
  return l === 'zh' ? 'zh-CN' : 'en-GB';
}

/** The message in the current language, with `{name}` placeholders filled in. */
export function t(key: MessageKey, params: Readonly<Record<string, string | number>> = {}): string {
  return CATALOGUE[current][key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(zh, key);
}

/** Placeholder names of a message, for the catalogue test. */
export function placeholders(message: string): string[] {
  return [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();
}
